"""Operations tests run kam's real server like the end-to-end tests do."""

from tests.e2e.conftest import start_server  # noqa: F401  (the same fixture)
