import pytest

from gatehouse.audit.v1 import audit_pb2
from gatehouse.common.v1 import common_pb2
from services.audit.application.handlers import Dependencies, authorize
from services.audit.domain.errors import NotAllowedToReadLog

ALICE = common_pb2.Principal(user_id="u-alice", username="alice")
OPERATOR = common_pb2.Principal(operator=True)


class FakeProjectAccess:
    """Alice may read the audit log of project demo only."""

    def __init__(self):
        self.asked = []

    async def allows(self, principal, project, permission):
        self.asked.append((principal.username, project, permission))
        return principal.username == "alice" and project == "demo" and permission == "read-audit"


@pytest.fixture
def checker():
    return FakeProjectAccess()


@pytest.fixture
def deps(checker):
    return Dependencies(engine=None, access=checker)


@pytest.mark.parametrize(
    "log_filter",
    [
        audit_pb2.EventFilter(),
        audit_pb2.EventFilter(user="bob"),
        audit_pb2.EventFilter(project="demo"),
        audit_pb2.EventFilter(type="TokenIssued"),
    ],
)
async def test_an_operator_may_read_anything_without_asking_uploads(deps, checker, log_filter):
    await authorize(deps, OPERATOR, log_filter)
    assert checker.asked == []


@pytest.mark.parametrize("username", ["alice", "ALICE", "Alice"])
async def test_a_user_may_read_their_own_log(deps, username):
    await authorize(deps, ALICE, audit_pb2.EventFilter(user=username))


@pytest.mark.parametrize(
    "log_filter",
    [
        audit_pb2.EventFilter(user="bob"),
        audit_pb2.EventFilter(),
        audit_pb2.EventFilter(type="account:login:failure"),
        audit_pb2.EventFilter(project="other"),
        audit_pb2.EventFilter(user="bob", project="other"),
    ],
)
async def test_a_user_may_not_read_other_logs_or_everything(deps, log_filter):
    with pytest.raises(NotAllowedToReadLog, match="You are not allowed to read this security log."):
        await authorize(deps, ALICE, log_filter)


async def test_a_project_log_needs_read_audit_on_the_normalized_project(deps, checker):
    await authorize(deps, ALICE, audit_pb2.EventFilter(project="Demo"))
    assert checker.asked == [("alice", "demo", "read-audit")]


async def test_an_anonymous_caller_cannot_pass_as_the_empty_user(deps):
    with pytest.raises(NotAllowedToReadLog):
        await authorize(deps, common_pb2.Principal(), audit_pb2.EventFilter(user=""))


async def test_reading_ones_own_log_never_asks_uploads(deps, checker):
    await authorize(deps, ALICE, audit_pb2.EventFilter(user="alice", project="other"))
    assert checker.asked == []
