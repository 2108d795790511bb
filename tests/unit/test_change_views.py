"""Which file an import's audit entries came from, whatever the file is called."""

from domain.models import AuditEntry
from handlers.views.changes import _import_file


def _entry(summary: str, channel: str = "csv") -> AuditEntry:
    return AuditEntry(request_id="import-1", action="update", entity="account",
                      channel=channel, summary=summary)  # fmt: skip


def test_the_file_name_may_itself_contain_line():
    assert _import_file([_entry("import q3 line items.csv line 12: Acme: owner a → b")]) == (
        "q3 line items.csv"
    )
    assert _import_file([_entry("import 应收 11月.csv (after the rows): reallocated")]) == (
        "应收 11月.csv"
    )


def test_only_imports_name_a_file():
    assert _import_file([_entry("import x.csv line 2: y", channel="slack")]) is None
    assert _import_file([_entry("something else")]) is None
