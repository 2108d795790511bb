"""The fuzz targets run kam's real server, as the end-to-end tests do."""

from tests.e2e.conftest import start_server  # noqa: F401 (a fixture, by name)
