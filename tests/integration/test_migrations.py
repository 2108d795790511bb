from sqlalchemy import inspect

from storage.engine import make_engine
from storage.migrate import current_revision, ensure_schema, head_revision

EXPECTED_TABLES = {
    "account", "account_alias", "audit_entry", "contact", "deal", "deal_stage_change",
    "delivery", "goal", "inbound_event", "interaction", "interaction_contact", "kam_user",
    "platform_token", "reminder", "task", "team", "team_manager",
}  # fmt: skip


def test_migrations_build_the_schema_on_an_empty_database(empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) is None
        assert ensure_schema(engine) is True
        assert current_revision(engine) == head_revision(engine)
        assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
        assert ensure_schema(engine) is False  # already at head: nothing to do
    finally:
        engine.dispose()


def test_delivery_key_is_unique_and_not_null(engine):
    cols = {c["name"]: c for c in inspect(engine).get_columns("delivery")}
    for key in ("job", "recipient", "subject", "period"):
        assert cols[key]["nullable"] is False
    uniques = inspect(engine).get_unique_constraints("delivery")
    assert any(set(u["column_names"]) == {"job", "recipient", "subject", "period"} for u in uniques)
