from __future__ import annotations

import pytest

from domain.errors import Ambiguous, NotFound, ParseError
from handlers.parsing.names import (
    Candidate,
    ContactMatches,
    NewContact,
    chinese_surname,
    closest,
    extract_new_contacts,
    latin_surnames,
    match_contacts,
    resolve,
    split_account_and_rest,
)

ACCOUNTS = [
    Candidate(1, "Acme Corp", ("ACME",)),
    Candidate(2, "Acme Ltd"),
    Candidate(3, "华夏重工", ("华夏",)),
    Candidate(4, "Globex Inc"),
    Candidate(5, "Initech"),
    Candidate(6, "Umbrella"),
]


def key_of(query: str) -> object:
    return resolve(query, ACCOUNTS).key


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("Acme Corp", 1),  # exact name
        ("ACME", 1),  # exact alias
        ("acme corp", 1),  # case
        ("ＡＣＭＥ　ＣＯＲＰ", 1),  # full-width letters and space
        ("  Acme   Corp ", 1),  # spacing
        ("acme-corp", 1),  # punctuation
        ("华夏重工", 3),
        ("华夏", 3),  # alias
        ("Glob", 4),  # unique prefix
        ("Init", 5),
        ("Umbrela", 6),  # fuzzy
        ("globex inc.", 4),
    ],
)
def test_resolve(query: str, key: int) -> None:
    assert key_of(query) == key


def test_exact_name_beats_alias_and_prefix() -> None:
    cands = [Candidate("a", "Acme"), Candidate("b", "Acme Holdings", ("Acme",))]
    assert resolve("Acme", cands).key == "a"


def test_ambiguous_prefix_lists_the_matches() -> None:
    with pytest.raises(Ambiguous) as err:
        resolve("Acme L", [*ACCOUNTS, Candidate(7, "Acme Labs")])
    assert set(err.value.candidates) == {"Acme Ltd", "Acme Labs"}


def test_ambiguous_fuzzy_lists_closest_three() -> None:
    cands = [Candidate(i, name) for i, name in enumerate(["Acme Ltd", "Acme Lte", "Acme Ltf"])]
    with pytest.raises(Ambiguous) as err:
        resolve("Acme Ltx", cands)
    assert len(err.value.candidates) == 3


def test_same_name_twice_is_ambiguous() -> None:
    with pytest.raises(Ambiguous):
        resolve("Initech", [Candidate(1, "Initech"), Candidate(2, "Initech")])


def test_unknown_gives_three_suggestions() -> None:
    with pytest.raises(NotFound) as err:
        resolve("Initek Corp", ACCOUNTS)
    assert len(err.value.candidates) == 3
    assert err.value.candidates[0] == "Initech"


def test_near_miss_in_chinese_is_suggested_not_guessed() -> None:
    with pytest.raises(NotFound) as err:
        resolve("华厦重工", ACCOUNTS)
    assert err.value.candidates[0] == "华夏重工"


def test_one_letter_is_not_a_prefix() -> None:
    with pytest.raises(NotFound):
        resolve("G", ACCOUNTS)


def test_empty_query() -> None:
    with pytest.raises(ParseError):
        resolve("  ", ACCOUNTS)


def test_no_candidates() -> None:
    with pytest.raises(NotFound) as err:
        resolve("Acme", [])
    assert err.value.candidates == []


def test_closest() -> None:
    assert closest("acme", ACCOUNTS, n=2) == ["Acme Corp", "Acme Ltd"]
    assert len(closest("zzz", ACCOUNTS)) == 3
    assert closest("zzz", []) == []


# --- account at the start of a command -------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "rest"),
    [
        ("Acme Corp yesterday met Li Wei", 1, "yesterday met Li Wei"),
        ("acme corp: met Li", 1, "met Li"),
        ("华夏重工 昨天 见了王总", 3, "昨天 见了王总"),
        ("华夏重工昨天见了王总", 3, "昨天见了王总"),
        ('"Acme Ltd" met Tom', 2, "met Tom"),
        ("“华夏重工” 昨天", 3, "昨天"),
        ("「Globex Inc」 lunch", 4, "lunch"),
        ('"Globex Inc', 4, ""),  # unclosed quote: the rest is the name
        ("Initech met Tom", 5, "met Tom"),
        ("Umbrela met Tom", 6, "met Tom"),  # first word, fuzzy
        ("华夏 昨天", 3, "昨天"),
        ("ACME yesterday", 1, "yesterday"),
    ],
)
def test_split_account_and_rest(text: str, key: int, rest: str) -> None:
    found, remainder = split_account_and_rest(text, ACCOUNTS)
    assert (found.key, remainder) == (key, rest)


def test_split_requires_a_word_boundary_for_latin_names() -> None:
    cands = [Candidate(1, "Acme"), Candidate(2, "Acme Corporation")]
    found, rest = split_account_and_rest("Acme Corporation visit", cands)
    assert (found.key, rest) == (2, "visit")
    found, rest = split_account_and_rest("Acme Corp visit", cands)
    assert (found.key, rest) == (1, "Corp visit")


def test_split_unknown_raises_with_suggestions() -> None:
    with pytest.raises(NotFound) as err:
        split_account_and_rest("华厦重工昨天见了王总", ACCOUNTS)
    assert err.value.params["query"] == "华厦重工"
    assert err.value.candidates[0] == "华夏重工"
    with pytest.raises(NotFound):
        split_account_and_rest("Nobody yesterday", ACCOUNTS)


def test_split_empty() -> None:
    with pytest.raises(ParseError):
        split_account_and_rest("", ACCOUNTS)


# --- contacts ----------------------------------------------------------------

CONTACTS = [
    Candidate("lw", "Li Wei"),
    Candidate("tl", "Tom Li"),
    Candidate("js", "John Smith"),
    Candidate("wjg", "王建国"),
    Candidate("wm", "王明"),
    Candidate("lj", "李娟"),
    Candidate("zs", "张三", ("老张",)),
    Candidate("oyf", "欧阳锋"),
    Candidate("ch", "陈红"),
    Candidate("zhao", "赵刚"),
    Candidate("sun", "孙丽"),
    Candidate("zhou", "周涛"),
    Candidate("wu", "吴磊"),
    Candidate("liu", "刘洋"),
]


@pytest.mark.parametrize(
    ("text", "linked", "ambiguous"),
    [
        ("met Li Wei and 李娟", ["lw", "lj"], []),
        ("LI WEI said yes", ["lw"], []),
        ("见了王建国", ["wjg"], []),
        ("见了李经理", ["lj"], []),
        ("张总监和刘工", ["zs", "liu"], []),
        ("陈老师、赵董、孙主任", ["ch", "zhao", "sun"], []),
        ("周处和吴局", ["zhou", "wu"], []),
        ("欧阳总拍板了", ["oyf"], []),  # compound surname
        ("见了王总", [], ["王总"]),  # two contacts named 王
        ("王总和王建国", ["wjg"], ["王总"]),
        ("老张说可以", ["zs"], []),  # alias
        ("Mr. Smith and Dr. Wei", ["js", "lw"], []),
        ("Ms Smith", ["js"], []),
        ("Mr. Li called", [], ["Mr. Li"]),  # Li Wei and Tom Li
        ("Mrs. John", [], []),  # first names are not surnames
        ("Mr. Zhang", [], []),  # Chinese-script contacts don't answer to pinyin
        ("nobody here", [], []),
        ("", [], []),
    ],
)
def test_match_contacts(text: str, linked: list[str], ambiguous: list[str]) -> None:
    assert match_contacts(text, CONTACTS) == ContactMatches(linked, ambiguous)


def test_match_contacts_ignores_words_inside_other_words() -> None:
    assert match_contacts("Tomorrow", [Candidate(1, "Tom")]).linked == []
    assert match_contacts("talk to Tom.", [Candidate(1, "Tom")]).linked == [1]


def test_same_full_name_twice_is_ambiguous() -> None:
    contacts = [Candidate(1, "王伟"), Candidate(2, "王伟")]
    assert match_contacts("见了王伟", contacts) == ContactMatches([], ["王伟"])


def test_surnames() -> None:
    assert chinese_surname("王建国") == "王"
    assert chinese_surname("欧阳锋") == "欧阳"
    assert chinese_surname("司马懿") == "司马"
    assert chinese_surname("Li Wei") is None
    assert latin_surnames("Li Wei") == {"li", "wei"}
    assert latin_surnames("Tom Li") == {"li"}
    assert latin_surnames("John Smith") == {"smith"}
    assert latin_surnames("Madonna") == {"madonna"}


# --- new contacts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("met Li Wei, CFO. Budget approved.", [("Li Wei", "CFO")]),
        ("met Li Wei (CFO)", [("Li Wei", "CFO")]),
        ("with Tom Brown and Ann Lee", [("Tom Brown", None), ("Ann Lee", None)]),
        (
            "met Li Wei, CFO, and Tom Brown, VP Sales",
            [("Li Wei", "CFO"), ("Tom Brown", "VP Sales")],
        ),
        ("Met with Tom Brown about pricing", [("Tom Brown", None)]),
        ("met Li Wei to discuss the deal", [("Li Wei", None)]),
        ("met Li Wei, budget approved", [("Li Wei", None)]),
        ("met Mr. Li for lunch", [("Mr. Li", None)]),
        ("见了王总", []),  # an honorific refers to a contact; it names nobody new
        ("见了王建国（总经理）", [("王建国", "总经理")]),
        ("见了王建国，总经理，预算已批", [("王建国", "总经理")]),
        ("见了财务总监王建国", [("王建国", "财务总监")]),
        ("拜访了欧阳锋谈预算", [("欧阳锋", None)]),
        ("会见了李经理和张总", []),
        ("约了陈红、刘洋", [("陈红", None), ("刘洋", None)]),
        ("昨天见了王总，预算已批", []),
        ("met the CFO", []),
        ("见了客户", []),
        ("budget approved", []),
        ("", []),
    ],
)
def test_extract_new_contacts(text: str, people: list[tuple[str, str | None]]) -> None:
    assert extract_new_contacts(text) == [NewContact(n, t) for n, t in people]


def test_new_contacts_in_order_and_once() -> None:
    text = "met Li Wei. 见了王建国. Later met Li Wei again with Ann Lee"
    names = [p.name for p in extract_new_contacts(text)]
    assert names == ["Li Wei", "王建国", "Ann Lee"]
