import pytest

from bot.config import load_settings
from domain.errors import InvalidInput


def test_defaults_without_any_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no kam.toml here
    s = load_settings(env={})
    assert s.database_url == "sqlite:///kam.db"
    assert s.timezone == "Asia/Shanghai"
    assert s.cadence.days_for("A") == 14


def test_toml_policies_and_environment_override(tmp_path):
    cfg = tmp_path / "kam.toml"
    cfg.write_text(
        'timezone = "Europe/Berlin"\n[cadence]\na = 7\n[schedule]\nlapse_time = "08:15"\n',
        encoding="utf-8",
    )
    s = load_settings(env={"KAM_CONFIG": str(cfg), "KAM_TIMEZONE": "Asia/Tokyo"})
    assert s.timezone == "Asia/Tokyo"  # environment wins
    assert s.cadence.days_for("A") == 7
    assert s.schedule.lapse_time.hour == 8 and s.schedule.lapse_time.minute == 15


def test_invalid_value_names_the_key(tmp_path):
    cfg = tmp_path / "kam.toml"
    cfg.write_text("[cadence]\nb = -3\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"cadence\.b"):
        load_settings(env={"KAM_CONFIG": str(cfg)})


def test_invalid_environment_value_names_the_variable():
    with pytest.raises(InvalidInput, match="KAM_TIMEZONE"):
        load_settings(env={"KAM_TIMEZONE": "Mars/Olympus"})


def test_secrets_are_refused_in_the_file(tmp_path):
    cfg = tmp_path / "kam.toml"
    cfg.write_text('[slack]\nbot_token = "xoxb-123"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"slack\.bot_token.*environment"):
        load_settings(env={"KAM_CONFIG": str(cfg)})


def test_unknown_key_is_refused(tmp_path):
    cfg = tmp_path / "kam.toml"
    cfg.write_text("[cadance]\na = 7\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="cadance"):
        load_settings(env={"KAM_CONFIG": str(cfg)})


def test_missing_named_config_file_is_an_error(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        load_settings(env={"KAM_CONFIG": str(tmp_path / "nope.toml")})


# --- issue 15 item 10: every number in the settings is bounded, the error names the key ---


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("undo_minutes = 99999999999999999999\n", "undo_minutes"),
        ("undo_own_hours = 10000000\n", "undo_own_hours"),
        ("question_minutes = 0\n", "question_minutes"),
        ("max_note_chars = 99999999999\n", "max_note_chars"),
        ("[fx_rates]\nUSD = -7.1\n", "fx_rates.USD"),
        ("[fx_rates]\nUSD = 0\n", "fx_rates.USD"),
        ("[fx_rates]\nUSD = nan\n", "fx_rates.USD"),
        ("[fx_rates]\nUSD = inf\n", "fx_rates.USD"),
        ("[cadence]\na = 100000000\n", "cadence.a"),
        ("[cadence]\nescalate_factor = inf\n", "cadence.escalate_factor"),
        ("[schedule]\nclaim_timeout_minutes = 99999999\n", "schedule.claim_timeout_minutes"),
        ("[schedule]\nmax_attempts = 1000000\n", "schedule.max_attempts"),
        ("[schedule]\nbirthday_days_ahead = [3, -1]\n", "schedule.birthday_days_ahead.1"),
        ("[risks]\ncomplaint_days = 99999999999\n", "risks.complaint_days"),
        ("[risks.stalled_days]\nlead = 99999999999\n", "risks.stalled_days.lead"),
        ("[health]\nrfm_window_days = 99999999999\n", "health.rfm_window_days"),
        ("[tiers.weights]\ncurrent = 1e300\n", "tiers.weights.current"),
        ("[tiers.anchors]\ngrowth_full_pct = 1e300\n", "tiers.anchors.growth_full_pct"),
        ("drain_seconds = 1e300\n", "drain_seconds"),
    ],
)
def test_out_of_bounds_numbers_are_refused_naming_the_key(tmp_path, toml, key):
    cfg = tmp_path / "kam.toml"
    cfg.write_text(toml, encoding="utf-8")
    with pytest.raises(InvalidInput, match=rf"'{key}'"):
        load_settings(env={"KAM_CONFIG": str(cfg)})


def test_every_number_in_the_settings_has_both_bounds():
    """A structural guard: a numeric setting added later without ``ge``/``le`` fails here."""
    import types
    import typing
    from decimal import Decimal

    from pydantic import BaseModel

    from bot.config import Settings

    def bounded(metadata) -> tuple[bool, bool]:
        low = any(getattr(m, "ge", None) is not None or getattr(m, "gt", None) is not None
                  for m in metadata)  # fmt: skip
        high = any(getattr(m, "le", None) is not None or getattr(m, "lt", None) is not None
                   for m in metadata)  # fmt: skip
        return low, high

    unbounded: list[str] = []

    def walk_type(where: str, tp, metadata) -> None:
        if typing.get_origin(tp) is typing.Annotated:
            inner, *extra = typing.get_args(tp)
            extra_meta = [m for e in extra for m in getattr(e, "metadata", [e])]
            walk_type(where, inner, list(metadata) + extra_meta)
            return
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            walk_model(f"{where}.", tp)
            return
        if tp in (int, float, Decimal):
            if not all(bounded(metadata)):
                unbounded.append(where)
            return
        optional = typing.get_origin(tp) in (typing.Union, types.UnionType)
        for arg in typing.get_args(tp):
            if arg is not type(None) and arg is not Ellipsis:
                walk_type(where if optional else f"{where}[]", arg, metadata if optional else [])

    def walk_model(prefix: str, model: type[BaseModel]) -> None:
        for name, field in model.model_fields.items():
            walk_type(f"{prefix}{name}", field.annotation, field.metadata)

    walk_model("", Settings)
    assert unbounded == []


def test_in_bounds_values_still_load(tmp_path):
    cfg = tmp_path / "kam.toml"
    cfg.write_text("undo_minutes = 60\n[fx_rates]\nUSD = 7.1\n", encoding="utf-8")
    s = load_settings(env={"KAM_CONFIG": str(cfg)})
    assert s.undo_minutes == 60 and str(s.fx_rates["USD"]) == "7.1"
