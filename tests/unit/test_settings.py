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
