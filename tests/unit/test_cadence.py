from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from domain.cadence import CadencePolicy, ContactStatus, contact_status
from domain.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


@pytest.mark.parametrize(
    ("tier", "days", "expected"),
    [
        ("A", 14, ContactStatus(14, 14, 0, lapsed=False, escalate=False, due_in=0)),
        ("A", 15, ContactStatus(15, 14, 1, lapsed=True, escalate=False, due_in=None)),
        ("A", 28, ContactStatus(28, 14, 14, lapsed=True, escalate=False, due_in=None)),
        ("A", 29, ContactStatus(29, 14, 15, lapsed=True, escalate=True, due_in=None)),
        ("B", 10, ContactStatus(10, 30, 0, lapsed=False, escalate=False, due_in=20)),
        ("B", 31, ContactStatus(31, 30, 1, lapsed=True, escalate=False, due_in=None)),
        ("C", 0, ContactStatus(0, 60, 0, lapsed=False, escalate=False, due_in=60)),
        ("C", 61, ContactStatus(61, 60, 1, lapsed=True, escalate=False, due_in=None)),
        ("C", 121, ContactStatus(121, 60, 61, lapsed=True, escalate=True, due_in=None)),
    ],
)
def test_default_cadence_per_tier(tier, days, expected):
    assert contact_status(days_ago(days), tier, NOW, CadencePolicy(), SHANGHAI) == expected


def test_custom_policy():
    policy = CadencePolicy(a=7, b=21, escalate_factor=1.5)
    status = contact_status(days_ago(11), "A", NOW, policy, SHANGHAI)
    assert (status.cadence, status.overdue_days, status.lapsed) == (7, 4, True)
    assert status.escalate  # 11 > 7 * 1.5
    assert contact_status(days_ago(21), "B", NOW, policy, SHANGHAI).due_in == 0
    assert contact_status(days_ago(61), "C", NOW, policy, SHANGHAI).lapsed  # default kept


def test_late_evening_yesterday_counts_as_one_day_in_the_teams_time_zone():
    last = datetime(2025, 3, 9, 23, 30, tzinfo=SHANGHAI)
    now = datetime(2025, 3, 10, 0, 10, tzinfo=SHANGHAI)
    assert contact_status(last, "A", now, CadencePolicy(), SHANGHAI).days_since == 1
    # The same two instants are on one UTC date (15:30 and 16:10 on March 9).
    assert contact_status(last, "A", now, CadencePolicy(), ZoneInfo("UTC")).days_since == 0


def test_instants_in_other_zones_are_read_in_the_given_zone():
    last = datetime(2025, 3, 9, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    now = datetime(2025, 3, 9, 16, 10, tzinfo=UTC)  # 00:10 the next day in Shanghai
    assert contact_status(last, "B", now, CadencePolicy(), SHANGHAI).days_since == 1


def test_never_contacted_is_lapsed_by_one_cadence_but_not_escalated():
    status = contact_status(None, "B", NOW, CadencePolicy(), SHANGHAI)
    assert status == ContactStatus(None, 30, 30, lapsed=True, escalate=False, due_in=None)
    assert status.never_contacted


def test_a_contact_after_now_counts_as_today():
    status = contact_status(NOW + timedelta(days=2), "A", NOW, CadencePolicy(), SHANGHAI)
    assert (status.days_since, status.due_in) == (0, 14)


def test_tier_is_read_case_insensitively_and_checked():
    assert contact_status(days_ago(3), "a", NOW, CadencePolicy(), SHANGHAI).cadence == 14
    with pytest.raises(InvalidInput):
        contact_status(days_ago(3), "D", NOW, CadencePolicy(), SHANGHAI)


def test_naive_datetimes_are_refused():
    with pytest.raises(InvalidInput):
        contact_status(datetime(2025, 3, 1), "A", NOW, CadencePolicy(), SHANGHAI)
    with pytest.raises(InvalidInput):
        contact_status(days_ago(1), "A", datetime(2025, 3, 10), CadencePolicy(), SHANGHAI)


@pytest.mark.parametrize("settings", [{"a": 0}, {"b": -5}, {"escalate_factor": 0.5}])
def test_bad_policies_are_refused(settings):
    with pytest.raises(ValidationError):
        CadencePolicy.model_validate(settings)
