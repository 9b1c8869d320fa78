"""Two people act on the same case at once: one wins, the other gets 409, history has one entry.

Runs on committed data in two real sessions (two threads, two connections), not in the
rolled-back test transaction; the case is removed afterwards."""
from __future__ import annotations

import threading

import pytest
from caseutil import make_case
from sqlalchemy import delete, select, text

from gridapp.errors import Conflict
from gridapp.extensions import db
from gridapp.incidents import workflow
from gridapp.models import Incident, IncidentEvent, User


@pytest.fixture
def committed_case(app):
    with app.app_context():
        reporter = db.session.scalar(select(User).where(User.username == "worker"))
        incident = make_case(reporter)
        db.session.commit()
        case_id = incident.id
        db.session.remove()
    yield case_id
    with app.app_context():
        db.session.execute(text("SET LOCAL gridapp.purge_history = 'on'"))
        db.session.execute(delete(IncidentEvent).where(IncidentEvent.incident_id == case_id))
        db.session.execute(delete(Incident).where(Incident.id == case_id))
        db.session.commit()


@pytest.mark.parametrize("actions", [("accept", "accept"), ("accept", "reject")])
def test_concurrent_actions_one_wins_one_409(app, committed_case, actions):
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def run(i: int, action: str):
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == "hongqi"))
            barrier.wait()
            try:
                workflow.perform(user, committed_case, action, {"note": "并发测试"}, version=1)
                outcomes[i] = "ok"
            except Conflict as err:
                outcomes[i] = err.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "stale_version"]
    with app.app_context():
        events = db.session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == committed_case)).all()
        incident = db.session.get(Incident, committed_case)
        assert len(events) == 1 and incident.version == 2
        winner = actions[outcomes.index("ok")]
        assert events[0].action == winner and incident.status == events[0].to_state
        db.session.remove()


def test_lost_race_at_the_update_is_409(app, committed_case):
    """B reads the case (version 1); A accepts and commits meanwhile; B's UPDATE … WHERE
    version = 1 then matches nothing → 409 stale_version, B's history row is rolled back."""

    def accept_in_other_session():
        with app.app_context():
            a = db.session.scalar(select(User).where(User.username == "hongqi"))
            workflow.perform(a, committed_case, "accept", version=1)
            db.session.remove()

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "hongqi"))
        seen = workflow.get_case(user, committed_case)
        assert (seen.version, seen.status) == (1, "reported")
        thread = threading.Thread(target=accept_in_other_session)
        thread.start()
        thread.join(30)
        with pytest.raises(Conflict) as err:
            workflow.perform(user, committed_case, "reject", {"note": "不予立案"})
        assert err.value.code == "stale_version"
        db.session.remove()
        events = db.session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == committed_case)).all()
        assert [e.action for e in events] == ["accept"]
        assert db.session.get(Incident, committed_case).status == "accepted"
        db.session.remove()
