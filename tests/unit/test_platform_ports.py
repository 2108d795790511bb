"""No platform identity leaks into the neutral layers: nothing in handlers/, schedules/
or domain/ reads ``slack_id`` / ``wecom_id`` or carries a platform's ``<@…>`` mention
syntax in code (docstrings and comments may describe it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEUTRAL = ("handlers", "schedules", "domain")
IDENTITY_ATTRIBUTES = {"slack_id", "wecom_id"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _leaks(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in IDENTITY_ATTRIBUTES:
            found.append(f"{path.relative_to(root)}:{node.lineno} reads .{node.attr}")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and "<@" in node.value
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno} has '<@' in {node.value!r}")
    return found


def test_the_scan_sees_a_leak_when_there_is_one(tmp_path):
    sample = tmp_path / "leak.py"
    sample.write_text('"""<@U1> in a docstring is fine."""\nx = user.slack_id\ny = "<@U1>"\n')
    assert _leaks(sample, tmp_path) == [
        "leak.py:2 reads .slack_id",
        "leak.py:3 has '<@' in '<@U1>'",
    ]


def test_no_neutral_module_reads_platform_ids_or_mention_syntax():
    modules = [p for layer in NEUTRAL for p in sorted((ROOT / layer).rglob("*.py"))]
    assert len(modules) > 50  # the scan saw the code
    leaks = [leak for path in modules for leak in _leaks(path)]
    assert leaks == []
