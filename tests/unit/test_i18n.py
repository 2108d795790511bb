"""The message files and the code agree: every key in every language, every key used,
every key the code asks for present, and no language branches or {"en", "zh"} dicts
left in the code (handlers/i18n.py)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from domain.goals import GoalMetric, PaceStatus
from domain.health import HEALTH_RISK_CODES
from domain.risks import RISK_CODES
from domain.tiers import TIERS
from handlers import i18n
from handlers.commands import command_table
from handlers.i18n import Catalog, languages, messages, text
from storage.users import PLATFORMS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "storage", "handlers", "schedules", "bot")

# Keys the code builds at run time, by scope: a pattern their names match in full.
# Every other key must appear as a literal in the module that declares its scope.
DYNAMIC: dict[str, str] = {
    "views": ".+",  # label(value): a stage, interaction kind, role, status… by its value
    "views.risks": "|".join((*RISK_CODES, *HEALTH_RISK_CODES)),  # describe(risk)
    "views.tiers": r"d_\w+|payment_record",  # _reason(): "d_" + factor, the factor's name
    "views.tiers.labels": "|".join(TIERS),  # tier_label(tier)
    "views.goals": "|".join(s.value for s in PaceStatus),  # status=_(p.status.value)
    "views.goals.metrics": "|".join(m.value for m in GoalMetric),  # metric_label(metric)
    "digest": r"w_\w+",  # kind_word(): "w_" + the kind
    "review": r"s_\w+",  # "s_" + proposal.status
    "tasks": r"none_\w+",  # "none_" + title_key
    "users": rf"role_\w+|(taken_)?({'|'.join(PLATFORMS)})",  # _role_label(role), a platform
    "parsing.users": rf"bad_({'|'.join(PLATFORMS)})",  # an identity option's format
    "remind": r"(one|many)_(year|month|week|day)",  # describe_every()
    "parsing.goals": r"metric_\w+",  # _metric_word(metric)
}

# {"en": …, "zh": …} dicts that are not texts: the words people type for a language.
NOT_TEXTS = {("handlers/parsing/users.py", "LANG_WORDS")}


def _sources() -> list[tuple[Path, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found.append((path, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def _scopes(tree: ast.Module) -> dict[str, str]:
    """``X = Catalog("scope")`` in one module: {variable: scope}."""
    out = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", None) == "Catalog"
            and node.value.args
            and isinstance(node.value.args[0], ast.Constant)
            and isinstance(node.targets[0], ast.Name)
        ):
            out[node.targets[0].id] = node.value.args[0].value
    return out


def _strings(tree: ast.Module) -> set[str]:
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


_ERRORS = {"KamError", "NotFound", "Ambiguous", "InvalidInput", "ParseError", "Forbidden"}
_ERRORS |= {"Unavailable", "CurrencyMismatch"}


def _domain_error_keys() -> set[str]:
    """The keys the domain raises: ``InvalidInput("tier_unknown", …)``, ``hint="…"``;
    and the name matcher, which sits in handlers but words nothing itself."""
    keys = set()
    for path, tree in _sources():
        rel = path.relative_to(ROOT)
        if rel.parts[0] != "domain" and rel.as_posix() != "handlers/parsing/names.py":
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in _ERRORS or name == "__init__":  # also CurrencyMismatch's super().__init__
                args = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "hint")]
                keys |= {f"errors.{a.value}" for a in args if isinstance(a, ast.Constant)}
    return keys


def _asked(tree: ast.Module, scopes: dict[str, str]) -> set[str]:
    """The keys a module asks for with a literal: ``_("undid", lang)`` → undo.undid."""
    out = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in scopes
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            out.add(f"{scopes[node.func.id]}.{node.args[0].value}")
    return out


def test_a_missing_translation_falls_back_to_english(tmp_path, monkeypatch):
    (tmp_path / "en.po").write_text(
        'msgid "t.hello"\nmsgstr "Hello {name}"\n\nmsgid "t.bye"\nmsgstr "Bye"\n', encoding="utf-8"
    )
    (tmp_path / "zh_Hant.po").write_text(
        'msgid "t.hello"\nmsgstr "你好 {name}"\n', encoding="utf-8"
    )
    monkeypatch.setattr(i18n, "MESSAGES", tmp_path)
    messages.cache_clear()
    try:
        _ = Catalog("t")
        assert _("hello", "zh_Hant", name="王") == "你好 王"
        assert _("bye", "zh_Hant") == "Bye"  # not translated: English
        assert text("t.bye", "fr") == "Bye"  # no file at all: English
        assert "bye" in _ and "gone" not in _
        assert languages() == ("en", "zh_Hant")
        with pytest.raises(KeyError, match=r"t\.gone"):
            _("gone", "en")
    finally:
        messages.cache_clear()


def test_the_domain_raises_keys_that_handlers_word():
    from domain.errors import InvalidInput
    from domain.health import CurrencyMismatch
    from domain.tiers import normalise_tier
    from handlers.errors import error_text, hint_text

    with pytest.raises(InvalidInput) as err:
        normalise_tier("D")
    assert err.value.message == "tier_unknown" and err.value.params["value"] == "D"
    assert error_text(err.value, "en") == "unknown tier"
    assert error_text(err.value, "zh") == "未知的分级"
    mismatch = CurrencyMismatch(["USD", "GBP"], "CNY")
    assert error_text(mismatch, "en") == "no exchange rate for GBP, USD to CNY"
    assert hint_text(mismatch, "en").startswith("Set fx_rates in kam.toml, e.g. fx_rates = { USD")
    worded = InvalidInput("Which account?")  # a handler's own words pass through
    assert error_text(worded, "zh") == "Which account?" and hint_text(worded, "zh") is None


@pytest.mark.parametrize("lang", languages())
def test_every_message_file_parses_strictly_and_every_entry_has_its_text(lang):
    """A merge can run two entries together (``msgid`` after ``msgid``): Babel then only
    prints a warning and drops the entry's text, and English would stand in silently."""
    from babel.messages.pofile import read_po

    with (i18n.MESSAGES / f"{lang}.po").open("rb") as f:
        catalog = read_po(f, abort_invalid=True)  # raises on a malformed entry
    empty = [m.id for m in catalog if m.id and not m.string]
    assert not empty, f"{lang}.po has entries without text: {empty}"


def test_every_key_is_in_every_language_file():
    english = set(messages("en"))
    assert len(english) > 100, "the English file is (nearly) empty"
    assert languages()[:2] == ("en", "zh")
    for lang in languages()[1:]:
        keys = set(messages(lang))
        assert not english - keys, f"{lang}.po lacks {sorted(english - keys)}"
        assert not keys - english, f"{lang}.po has keys English lacks: {sorted(keys - english)}"
    formatter = string.Formatter()
    for lang in languages():
        for words in messages(lang).values():
            list(formatter.parse(words))  # a stray { or } fails here, not in a reply


def test_every_key_the_code_asks_for_exists():
    english = set(messages("en"))
    asked = set()
    for _path, tree in _sources():
        asked |= _asked(tree, _scopes(tree))
    asked |= {
        f"command.{spec.name}.{what}"
        for spec in command_table()
        for what in ("summary", "usage", "example")
    }
    asked |= _domain_error_keys()
    assert len(asked) > 100
    assert not asked - english, f"asked for but not in en.po: {sorted(asked - english)}"


def test_every_key_in_the_files_is_used():
    english = set(messages("en"))
    used = {
        f"command.{spec.name}.{what}"
        for spec in command_table()
        for what in ("summary", "usage", "example")
    }
    used |= _domain_error_keys()
    scopes_seen = set()
    for _path, tree in _sources():
        scopes = _scopes(tree)
        words = _strings(tree)
        for scope in scopes.values():
            scopes_seen.add(scope)
            prefix = scope + "."
            for key in english:
                if not key.startswith(prefix) or "." in key[len(prefix) :]:
                    continue  # another scope's key (views.tiers.labels.A is not views.tiers')
                name = key[len(prefix) :]
                if name in words or re.fullmatch(DYNAMIC.get(scope, "(?!)"), name):
                    used.add(key)
    assert len(scopes_seen) > 20 and len(used) > 100
    unused = english - used
    assert not unused, f"keys nothing uses (or add them to DYNAMIC): {sorted(unused)}"
    unknown = set(DYNAMIC) - scopes_seen
    assert not unknown, f"DYNAMIC names scopes that do not exist: {unknown}"


_BRANCH = re.compile(r"""lang(?:uage)?\s*[!=]=\s*['"]zh['"]""")


def test_no_code_branches_on_the_language():
    found = []
    for path, _tree in _sources():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _BRANCH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "branches on the language (use a message key):\n" + "\n".join(found)


def test_no_en_zh_dicts_outside_the_message_files():
    found = []
    for path, tree in _sources():
        rel = str(path.relative_to(ROOT))
        exempt = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(target := getattr(node, "target", None) or node.targets[0], ast.Name)
            and (rel, target.id) in NOT_TEXTS
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and id(node) not in exempt:
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if {"en", "zh"} <= keys:
                    found.append(f"{rel}:{node.lineno}")
    assert not found, "texts by language outside handlers/messages:\n" + "\n".join(found)
