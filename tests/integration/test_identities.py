"""Where kam reaches someone: the same platform for commands and for scheduled pushes."""

from domain.models import UserIdentity
from storage import queries, users
from storage.session import unit_of_work
from tests import factories as f


def test_jobs_and_commands_prefer_the_same_platform_whatever_order_ids_were_added(engine):
    with unit_of_work(engine) as s:
        u = f.user(s, "dana", wecom_id="dana.w")  # WeCom first…
        s.add(UserIdentity(user_id=u.id, platform="slack", external_id="U0DANA"))  # …Slack later
        s.flush()
        user_id = u.id
    with unit_of_work(engine, write=False) as s:
        by_command = users.identities_of(s, user_id)
        by_job = queries.people(s).identities[user_id]
        assert list(by_command) == ["slack", "wecom"]  # storage.users.PLATFORMS order
        assert list(by_job) == ["slack", "wecom"]
        assert users.all_identities(s)[user_id] == {"slack": "U0DANA", "wecom": "dana.w"}
