"""Rectification notices: issue, re-inspect, escalate with approval (issue #10), on PostGIS."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import placeutil as pu
import pytest
from placeutil import cast_fixture  # noqa: F401 (the fixture cast)
from sqlalchemy import select, text

from gridapp.errors import BadInput, Conflict, Forbidden
from gridapp.inspections import notices as rectification
from gridapp.models import Notification, Place, RectificationNotice
from gridapp.places import service as places


def test_notice_life_cycle_issue_reinspect_escalate_with_approval(tx, cast):
    w, sec, district = cast["worker"], cast["sec"], cast["district"]
    a, b = pu.make_place(w, pu.G1, "测试煤场A（虚构）"), pu.make_place(w, pu.G1, "测试回收站B（虚构）", "huishou")
    insp = pu.inspect(w, [{"place_id": a.id, "findings": "煤堆未覆盖",
                           "checklist": {"煤堆全覆盖": "fail", "按时洒水降尘": "pass", "出场车辆冲洗": "na"},
                         "notice": {"requirements": "三日内全覆盖", "deadline": "2026-03-05"}},
                        {"place_id": b.id, "findings": "露天焚烧", "notice": {"requirements": "停止焚烧",
                                                                          "deadline": "2026-03-05"}}], pu.T0)
    na, nb = pu.notice_of(tx, insp, a), pu.notice_of(tx, insp, b)
    assert na.status == nb.status == "issued" and na.number != nb.number and "整改〔2026〕" in na.number
    # due at the end of 5 March in Asia/Shanghai = 15:59:59 UTC
    assert na.deadline_at == datetime(2026, 3, 5, 15, 59, 59, tzinfo=UTC)
    # pass on time
    rectification.act(w, na.id, "reinspect", {"passed": True}, version=na.version, now=pu.T0 + 48 * pu.H)
    assert na.status == "passed" and na.reinspected_at == pu.T0 + 48 * pu.H
    with pytest.raises(Conflict):  # a passed notice cannot be re-inspected again
        rectification.act(w, na.id, "reinspect", {"passed": False}, now=pu.T0 + 49 * pu.H)
    # fail, then escalate (ban) and approve by a higher rank
    rectification.act(w, nb.id, "reinspect", {"passed": False, "note": "仍在焚烧"}, now=pu.T0 + 48 * pu.H)
    assert nb.status == "failed"
    with pytest.raises(Conflict) as stale:
        rectification.act(w, nb.id, "escalate", {"measure": "ban", "note": "x"}, version=1, now=pu.T0 + 49 * pu.H)
    assert stale.value.code == "stale_version"
    with pytest.raises(BadInput):
        rectification.act(w, nb.id, "escalate", {"measure": "jail", "note": "x"}, now=pu.T0 + 49 * pu.H)
    rectification.act(w, nb.id, "escalate", {"measure": "ban", "note": "整改不合格"}, now=pu.T0 + 49 * pu.H)
    assert nb.status == "escalation_pending" and b.status == "operating"
    with pytest.raises(Forbidden):  # the requester cannot approve their own request
        rectification.act(w, nb.id, "approve", {"approved": True}, now=pu.T0 + 50 * pu.H)
    with pytest.raises(BadInput):  # refusing needs a reason
        rectification.act(sec, nb.id, "approve", {"approved": False}, now=pu.T0 + 50 * pu.H)
    rectification.act(sec, nb.id, "approve", {"approved": False, "note": "先罚款"}, now=pu.T0 + 50 * pu.H)
    assert nb.status == "failed" and b.status == "operating"
    rectification.act(sec, nb.id, "escalate", {"measure": "ban", "note": "再次复查仍不合格"}, now=pu.T0 + 51 * pu.H)
    with pytest.raises(Forbidden):  # the requesting secretary cannot approve; the next level can
        rectification.act(sec, nb.id, "approve", {}, now=pu.T0 + 52 * pu.H)
    rectification.act(district, nb.id, "approve", {"approved": True, "note": "同意取缔"}, now=pu.T0 + 52 * pu.H)
    tx.expire_all()
    nb, b = tx.get(RectificationNotice, nb.id), tx.get(Place, b.id)
    assert nb.status == "escalated" and nb.measure == "ban" and b.status == "banned"
    actions = [(e.action, e.data.get("to_state")) for e in places.timeline(b)]
    assert actions == [("registered", None), ("inspected", None), ("notice_issued", None),
                       ("reinspect", "failed"), ("escalate", "escalation_pending"), ("approve", "failed"),
                       ("escalate", "escalation_pending"), ("approve", "escalated")]
    # the timeline is append-only in the database
    with pytest.raises(Exception, match="append-only"):
        with tx.begin_nested():
            tx.execute(text("UPDATE place_events SET note = 'x' WHERE place_id = :p"), {"p": b.id})
    # approvers were told, the failed re-inspection went back to the secretary, the requesters
    # learnt the decisions, the ban was announced; the worker who acted is not told of his own actions
    kinds = {(n.user_id, n.kind) for n in tx.scalars(select(Notification).where(
        Notification.subject_type == "notice", Notification.subject_id == nb.id))}
    assert {(sec.id, "assigned"), (sec.id, "returned"), (sec.id, "approval"), (w.id, "decided"),
            (sec.id, "decided"), (w.id, "escalated"), (district.id, "approval"),
            (cast["town"].id, "approval")} <= kinds
    assert (w.id, "assigned") not in kinds and (w.id, "returned") not in kinds


def test_only_an_overdue_or_failed_notice_escalates(tx, cast):
    w = cast["worker"]
    a = pu.make_place(w, pu.G1, "测试网吧（虚构）", "wangba")
    insp = pu.inspect(w, [{"place_id": a.id, "findings": "接纳未成年人",
                         "notice": {"requirements": "整改", "deadline": "2026-03-03"}}], pu.T0)
    n = pu.notice_of(tx, insp, a)
    with pytest.raises(Conflict):
        rectification.act(w, n.id, "escalate", {"measure": "suspend", "note": "x"}, now=pu.T0 + 24 * pu.H)
    # 4 March 00:00:30 in Shanghai: overdue
    late = datetime(2026, 3, 3, 16, 0, 30, tzinfo=UTC)
    assert rectification.overdue(n, late) and not rectification.overdue(n, late - 60 * timedelta(seconds=1))
    rectification.act(w, n.id, "escalate", {"measure": "suspend", "note": "逾期未整改"}, now=late)
    rectification.act(cast["town"], n.id, "approve", {}, now=late + pu.H)
    assert n.status == "escalated" and a.status == "suspended"
    with pytest.raises(BadInput):  # no notice without a finding; no deadline in the past
        pu.inspect(w, [{"place_id": a.id, "notice": {"requirements": "x", "deadline": "2026-03-09"}}], pu.T0)
    with pytest.raises(BadInput):
        pu.inspect(w, [pu.visit(a, "x", "2026-03-01")], pu.T0)


