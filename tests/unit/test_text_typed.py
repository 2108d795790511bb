"""handlers.parsing.text.as_typed: the end of a message as the person wrote it, for
storing what was typed although commands receive the normalised text."""

import pytest

from handlers.parsing.text import as_typed, normalize


@pytest.mark.parametrize(
    ("typed", "cut"),
    [
        ("/拜访 华夏重工 见了王总，预算已批　下一步：周五前发方案", "见了王总"),
        ("/visit Acme  met Li Wei,  CFO", "met"),
        ("/visit Acme met\u200b Li Wei", "met"),
        ("/visit Acme ok", "ok"),
    ],
)
def test_as_typed_gives_back_the_original_slice(typed, cut):
    part = normalize(typed)[normalize(typed).index(cut) :]
    got = as_typed(part, typed)
    assert got == typed[typed.index(cut) :]
    assert normalize(got) == part


def test_as_typed_falls_back_to_the_part():
    assert as_typed("Acme x", "something else") == "Acme x"
    assert as_typed("x", "") == "x"
    assert as_typed("", "abc") == ""
