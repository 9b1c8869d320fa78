"""Places, inspections, rectification notices, reminders and figures (issue #10), on PostGIS."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from caseutil import grid_point
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from gridapp.errors import BadInput, Conflict, Forbidden, NotFound
from gridapp.incidents import workflow
from gridapp.inspections import figures as place_figures
from gridapp.inspections import notices as rectification
from gridapp.inspections import service as inspections
from gridapp.models import Grid, GridAssignment, Notification, Place, RectificationNotice, User
from gridapp.places import service as places
from gridapp.reminders import service as reminders
from gridapp.settings import photo_settings

# 翠溪社区 (same township as the demo's 红旗社区, which holds the fictitious demo campaign)
COMMUNITY = "610202002001"
G1, G2, G3 = "610202002001001", "610202002001002", "610202002001003"
OTHER_COMMUNITY = "610202002010"
TOWNSHIP, DISTRICT = "610202002", "610202"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 on 2 March 2026 in Asia/Shanghai
H = timedelta(hours=1)


def _user(tx, name, role, scope=None, grids=()):
    user = User(username=f"p-{name}", display_name=name, role=role, scope_code=scope, password_hash="!")
    user.assignments = [GridAssignment(grid_code=g) for g in grids]
    tx.add(user)
    return user


@pytest.fixture
def cast(tx):
    users = {"worker": _user(tx, "worker", "worker", grids=[G1]),
             "worker2": _user(tx, "worker2", "worker", grids=[G2]), "sec": _user(tx, "sec", "secretary", COMMUNITY),
             "othersec": _user(tx, "othersec", "secretary", OTHER_COMMUNITY),
             "town": _user(tx, "town", "township", TOWNSHIP), "district": _user(tx, "district", "district", DISTRICT)}
    tx.commit()
    return users


def _place(user, grid, name, type_="meichang"):
    lon, lat = grid_point(grid)
    return places.create(user, {"name": name, "type": type_, "lon": lon, "lat": lat}, now=T0 - 24 * H)


def _inspect(user, visits, at, members=("张某", "李某"), trips=1, campaign=None):
    return inspections.record_inspection(user, {"kind": "planned", "members": list(members), "vehicle_trips": trips,
                                                "department": "测试单位", "campaign_id": campaign,
                                                "visits": visits}, now=at)


def _v(place, findings, deadline):
    """A visit with a finding and a notice due on a local date."""
    return {"place_id": place.id, "findings": findings, "notice": {"requirements": "限期整改", "deadline": deadline}}


def _notice_of(tx, inspection, place):
    return tx.scalar(select(RectificationNotice).where(RectificationNotice.inspection_id == inspection.id,
                                                       RectificationNotice.place_id == place.id))


def test_notice_life_cycle_issue_reinspect_escalate_with_approval(tx, cast):
    w, sec, district = cast["worker"], cast["sec"], cast["district"]
    a, b = _place(w, G1, "测试煤场A（虚构）"), _place(w, G1, "测试回收站B（虚构）", "huishou")
    insp = _inspect(w, [{"place_id": a.id, "findings": "煤堆未覆盖", "checklist": {"煤堆全覆盖": False},
                         "notice": {"requirements": "三日内全覆盖", "deadline": "2026-03-05"}},
                        {"place_id": b.id, "findings": "露天焚烧", "notice": {"requirements": "停止焚烧",
                                                                          "deadline": "2026-03-05"}}], T0)
    na, nb = _notice_of(tx, insp, a), _notice_of(tx, insp, b)
    assert na.status == nb.status == "issued" and na.number != nb.number and "整改〔2026〕" in na.number
    # due at the end of 5 March in Asia/Shanghai = 15:59:59 UTC
    assert na.deadline_at == datetime(2026, 3, 5, 15, 59, 59, tzinfo=UTC)
    # pass on time
    rectification.act(w, na.id, "reinspect", {"passed": True}, version=na.version, now=T0 + 48 * H)
    assert na.status == "passed" and na.reinspected_at == T0 + 48 * H
    with pytest.raises(Conflict):  # a passed notice cannot be re-inspected again
        rectification.act(w, na.id, "reinspect", {"passed": False}, now=T0 + 49 * H)
    # fail, then escalate (ban) and approve by a higher rank
    rectification.act(w, nb.id, "reinspect", {"passed": False, "note": "仍在焚烧"}, now=T0 + 48 * H)
    assert nb.status == "failed"
    with pytest.raises(Conflict) as stale:
        rectification.act(w, nb.id, "escalate", {"measure": "ban", "note": "x"}, version=1, now=T0 + 49 * H)
    assert stale.value.code == "stale_version"
    with pytest.raises(BadInput):
        rectification.act(w, nb.id, "escalate", {"measure": "jail", "note": "x"}, now=T0 + 49 * H)
    rectification.act(w, nb.id, "escalate", {"measure": "ban", "note": "整改不合格"}, now=T0 + 49 * H)
    assert nb.status == "escalation_pending" and b.status == "operating"
    with pytest.raises(Forbidden):  # the requester cannot approve their own request
        rectification.act(w, nb.id, "approve", {"approved": True}, now=T0 + 50 * H)
    with pytest.raises(BadInput):  # refusing needs a reason
        rectification.act(sec, nb.id, "approve", {"approved": False}, now=T0 + 50 * H)
    rectification.act(sec, nb.id, "approve", {"approved": False, "note": "先罚款"}, now=T0 + 50 * H)
    assert nb.status == "failed" and b.status == "operating"
    rectification.act(sec, nb.id, "escalate", {"measure": "ban", "note": "再次复查仍不合格"}, now=T0 + 51 * H)
    with pytest.raises(Forbidden):  # the requesting secretary cannot approve; the next level can
        rectification.act(sec, nb.id, "approve", {}, now=T0 + 52 * H)
    rectification.act(district, nb.id, "approve", {"approved": True, "note": "同意取缔"}, now=T0 + 52 * H)
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
    # approvers were told, and the failed re-inspection went back to the grid worker and secretary
    kinds = {(n.user_id, n.kind) for n in tx.scalars(select(Notification).where(
        Notification.subject_type == "notice", Notification.subject_id == nb.id))}
    assert {(w.id, "assigned"), (w.id, "returned"), (sec.id, "returned"), (sec.id, "approval"),
            (district.id, "approval"), (cast["town"].id, "approval")} <= kinds


def test_only_an_overdue_or_failed_notice_escalates(tx, cast):
    w = cast["worker"]
    a = _place(w, G1, "测试网吧（虚构）", "wangba")
    insp = _inspect(w, [{"place_id": a.id, "findings": "接纳未成年人",
                         "notice": {"requirements": "整改", "deadline": "2026-03-03"}}], T0)
    n = _notice_of(tx, insp, a)
    with pytest.raises(Conflict):
        rectification.act(w, n.id, "escalate", {"measure": "suspend", "note": "x"}, now=T0 + 24 * H)
    # 4 March 00:00:30 in Shanghai: overdue
    late = datetime(2026, 3, 3, 16, 0, 30, tzinfo=UTC)
    assert rectification.overdue(n, late) and not rectification.overdue(n, late - 60 * timedelta(seconds=1))
    rectification.act(w, n.id, "escalate", {"measure": "suspend", "note": "逾期未整改"}, now=late)
    rectification.act(cast["town"], n.id, "approve", {}, now=late + H)
    assert n.status == "escalated" and a.status == "suspended"
    with pytest.raises(BadInput):  # no notice without a finding; no deadline in the past
        _inspect(w, [{"place_id": a.id, "notice": {"requirements": "x", "deadline": "2026-03-09"}}], T0)
    with pytest.raises(BadInput):
        _inspect(w, [_v(a, "x", "2026-03-01")], T0)


def test_deadline_reminders_across_midnight_in_shanghai(tx, cast):
    w, sec = cast["worker"], cast["sec"]
    a = _place(w, G1, "测试书店（虚构）", "shudian")
    insp = _inspect(w, [{"place_id": a.id, "findings": "无证经营",
                         "notice": {"requirements": "办理许可证", "deadline": "2026-03-10"}}], T0)
    n = _notice_of(tx, insp, a)

    def mine(kind):
        return tx.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == w.id, Notification.subject_id == n.id, Notification.kind == kind))

    # 9 March 23:00 local (more than 24 h before 10 March 23:59:59): nothing yet
    reminders.compute(datetime(2026, 3, 9, 15, 0, tzinfo=UTC))
    assert mine("due_soon") == 0
    # 10 March 00:30 local = 9 March 16:30 UTC: within 24 h → due soon
    reminders.compute(datetime(2026, 3, 9, 16, 30, tzinfo=UTC))
    assert mine("due_soon") == 1 and mine("overdue") == 0
    # 10 March 23:59:00 local: still due soon, not overdue, not written twice
    reminders.compute(datetime(2026, 3, 10, 15, 59, tzinfo=UTC))
    assert mine("due_soon") == 1 and mine("overdue") == 0
    # 11 March 00:00:30 local: overdue, once, for the worker and the secretary
    reminders.compute(datetime(2026, 3, 10, 16, 0, 30, tzinfo=UTC))
    reminders.compute(datetime(2026, 3, 10, 17, 0, tzinfo=UTC))
    assert mine("overdue") == 1
    assert tx.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == sec.id, Notification.subject_id == n.id, Notification.kind == "overdue")) == 1


class RecordingChannel:
    """A delivery channel behind the same interface as SMS/WeCom/e-mail would be."""

    name = "record"
    sent: list = []

    def send(self, notification, user):
        self.sent.append((user.username, notification.kind, notification.dedupe_key))


def test_reminder_job_is_idempotent(app, tx, cast, monkeypatch):
    monkeypatch.setitem(reminders.CHANNELS, "record", RecordingChannel)
    monkeypatch.setitem(app.config, "REMINDER_CHANNELS", "log,record")
    RecordingChannel.sent = []
    w = cast["worker"]
    handler = _user(tx, "handler", "worker")
    tx.commit()
    a = _place(w, G1, "测试出租屋（虚构）", "chuzuwu")
    _inspect(w, [_v(a, "群租", "2026-03-02")], T0)
    # an incident dispatched to a handler, past its deadline
    from caseutil import make_case
    inc = make_case(w, "filed", grid=G1, reported_at=T0, category="0102")
    tx.commit()
    workflow.perform(cast["sec"], inc.id, "dispatch", {"handler": handler.username}, now=T0 + H)
    now = T0 + 100 * H
    first = reminders.run(now, app.config["REMINDER_CHANNELS"])
    assert first["written"] >= 4 and first["delivered"] >= first["written"]
    assert {n.kind for n in reminders.for_user(handler)} == {"assigned", "overdue"}
    assert {k for u, k, _key in RecordingChannel.sent if u == "p-handler"} == {"assigned", "overdue"}
    assert len(RecordingChannel.sent) == first["delivered"]
    count = tx.scalar(select(func.count()).select_from(Notification))
    assert reminders.run(now, app.config["REMINDER_CHANNELS"]) == {"written": 0, "delivered": 0}
    assert len(RecordingChannel.sent) == first["delivered"]  # nothing sent twice
    assert tx.scalar(select(func.count()).select_from(Notification)) == count
    result = app.test_cli_runner().invoke(args=["gridapp", "remind", "--now", now.isoformat()])
    assert result.exit_code == 0 and "0 written, 0 delivered" in result.output
    # reading
    assert reminders.unread_count(handler) == 2 and reminders.mark_read(handler) == 2
    assert reminders.unread_count(handler) == 0


def test_bad_places_file_is_refused_row_by_row_and_nothing_written(tx, cast, client, bearer):
    sec = cast["sec"]
    (lon, lat), (olon, olat) = grid_point(G1), grid_point("610202002010001")
    bad = ("名称,类型,经营者,许可证号,经度,纬度,风险等级,状态\n"
           f"测试网吧甲（虚构）,网吧,张某,L-1,{lon},{lat},中,正常经营\n"
           f"测试场所乙（虚构）,赌场,李某,,{lon},{lat},低,\n"
           f"测试场所丙（虚构）,书店,王某,,{olon},{olat},低,\n"
           f",市场,赵某,,{lon},{lat},低,\n"
           f"测试场所丁（虚构）,市场,赵某,,{lon},abc,极高,\n").encode()
    before = tx.scalar(select(func.count()).select_from(Place))
    with pytest.raises(BadInput) as err:
        places.import_places(sec, "places.csv", bad)
    rows = [(r["row"], r["column"]) for r in err.value.details["rows"]]
    assert rows == [(3, "类型"), (4, "经度"), (5, "名称"), (6, "风险等级")]
    assert tx.scalar(select(func.count()).select_from(Place)) == before
    # through the API (a district user: 翠溪 is in scope)
    resp = client.post("/api/v1/places/import", headers=bearer_for(tx, cast, bearer),
                       data={"file": (io.BytesIO(bad), "places.csv")})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_rows"
    good = f"name,type,lon,lat\n测试煤场（虚构）,meichang,{lon},{lat}\n测试景区（虚构）,景区,{lon},{lat}\n".encode()
    assert places.import_places(sec, "places.csv", good) == 2
    tx.expire_all()
    assert tx.scalar(select(func.count()).select_from(Place)) == before + 2


def bearer_for(tx, cast, bearer):
    from gridapp.accounts.service import hash_password
    cast["district"].password_hash = hash_password("test-password-1")
    tx.commit()
    return bearer(cast["district"].username)


def test_scoping_by_role(tx, cast, client, bearer):
    w, w2 = cast["worker"], cast["worker2"]
    a = _place(w, G1, "测试市场（虚构）", "shichang")
    b = _place(w2, G2, "测试企业（虚构）", "qiye")
    with pytest.raises(Forbidden):  # a worker registers only in their grids
        _place(w, G2, "测试其他（虚构）", "qita")
    ids = lambda u: {p.id for p in places.search(u)} & {a.id, b.id}  # noqa: E731
    assert ids(w) == {a.id} and ids(w2) == {b.id}
    assert ids(cast["sec"]) == ids(cast["town"]) == ids(cast["district"]) == {a.id, b.id}
    assert ids(cast["othersec"]) == set()
    insp = _inspect(w, [{"place_id": a.id, "findings": "消防通道堵塞",
                         "notice": {"requirements": "清理通道", "deadline": "2026-03-04"}}], T0)
    n = _notice_of(tx, insp, a)
    for outsider in (w2, cast["othersec"]):
        with pytest.raises(NotFound):
            places.get_place(outsider, a.id)
        with pytest.raises(NotFound):
            rectification.get_notice(outsider, n.id)
        with pytest.raises(NotFound):
            inspections.get_inspection(outsider, insp.id)
    with pytest.raises(NotFound):  # a worker cannot inspect a place outside their grids
        _inspect(w, [{"place_id": b.id}], T0)
    with pytest.raises(Forbidden):
        place_figures.compute(w, "community", COMMUNITY)
    with pytest.raises(Forbidden):
        place_figures.compute(cast["othersec"], "community", COMMUNITY)
    with pytest.raises(Forbidden):
        inspections.create_campaign(w, "x", COMMUNITY, "2026-03-01", "2026-03-31")
    with pytest.raises(Forbidden):
        inspections.create_campaign(cast["othersec"], "x", COMMUNITY, "2026-03-01", "2026-03-31")
    headers = bearer_for(tx, cast, bearer)
    layer = client.get("/api/v1/places?status=operating", headers=headers).get_json()
    assert {f["id"] for f in layer["features"]} >= {a.id, b.id}
    assert all(f["properties"]["status"] == "operating" for f in layer["features"])
    assert client.get("/api/v1/places?status=closed", headers=headers).status_code == 400


def test_figures_equal_hand_computed_values(tx, cast, client, bearer):
    w, w2, sec, district = cast["worker"], cast["worker2"], cast["sec"], cast["district"]
    pa, pb = _place(w, G1, "测试煤场A（虚构）"), _place(w, G1, "测试煤场B（虚构）")
    pc = _place(w2, G2, "测试回收站C（虚构）", "huishou")
    campaign = inspections.create_campaign(district, "测试专项整治（虚构）", COMMUNITY, "2026-03-01", "2026-03-31")
    # I1: 3 people, 2 vehicle trips, places A and B; notice on A, passed on time
    i1 = _inspect(sec, [_v(pa, "未覆盖", "2026-03-05"),
                        {"place_id": pb.id}], T0, members=("张某", "李某", "王某"), trips=2, campaign=campaign.id)
    # I2: 2 people, 1 trip, places A and C; notice on C fails and C is banned with approval
    i2 = _inspect(sec, [{"place_id": pa.id}, {"place_id": pc.id, "findings": "焚烧",
                                              "notice": {"requirements": "停止", "deadline": "2026-03-06"}}],
                  T0 + 48 * H, members=("张某", "赵某"), trips=1, campaign=campaign.id)
    # I3: not in the campaign, 4 people, 3 trips, place B; notice on B still open after its deadline
    i3 = _inspect(sec, [_v(pb, "洒水不足", "2026-03-08")],
                  T0 + 96 * H, members=("甲某", "乙某", "丙某", "丁某"), trips=3)
    with pytest.raises(BadInput):  # outside the campaign's period
        _inspect(sec, [{"place_id": pb.id}], datetime(2026, 4, 2, 2, 0, tzinfo=UTC), campaign=campaign.id)
    other = _place(cast["district"], "610202002010002", "测试市场（虚构）", "shichang")
    with pytest.raises(BadInput) as outside:  # outside the campaign's area
        _inspect(cast["district"], [{"place_id": other.id}], T0, campaign=campaign.id)
    assert outside.value.code == "outside_campaign"
    # I4: in April, outside the period asked below
    _inspect(sec, [{"place_id": pc.id}], datetime(2026, 4, 2, 2, 0, tzinfo=UTC), members=("甲某",), trips=5)
    rectification.act(w, _notice_of(tx, i1, pa).id, "reinspect", {"passed": True}, now=T0 + 72 * H)
    nc = _notice_of(tx, i2, pc)
    rectification.act(w2, nc.id, "reinspect", {"passed": False}, now=T0 + 100 * H)
    rectification.act(w2, nc.id, "escalate", {"measure": "ban", "note": "不合格"}, now=T0 + 101 * H)
    rectification.act(district, nc.id, "approve", {}, now=T0 + 102 * H)
    assert _notice_of(tx, i3, pb).status == "issued"
    now = datetime(2026, 3, 20, tzinfo=UTC)
    march = place_figures.compute(district, "community", COMMUNITY, "2026-03-01", "2026-03-31", now=now)["counts"]
    assert march == {"inspections": 3, "person_times": 9, "vehicle_trips": 6, "places_inspected": 3,
                     "notices_issued": 3, "rectified_on_time": 1, "overdue": 2, "banned": 1}
    camp = place_figures.compute(district, "community", COMMUNITY, "2026-03-01", "2026-03-31", campaign.id, now=now)
    assert camp["counts"] == {"inspections": 2, "person_times": 5, "vehicle_trips": 3, "places_inspected": 3,
                              "notices_issued": 2, "rectified_on_time": 1, "overdue": 1, "banned": 1}
    grid1 = place_figures.compute(w, "grid", G1, "2026-03-01", "2026-03-31", now=now)["counts"]
    assert grid1 == {"inspections": 3, "person_times": 9, "vehicle_trips": 6, "places_inspected": 2,
                     "notices_issued": 2, "rectified_on_time": 1, "overdue": 1, "banned": 0}
    everything = place_figures.compute(sec, "community", COMMUNITY, now=now)["counts"]
    assert everything["inspections"] == 4 and everything["vehicle_trips"] == 11
    # Excel export: the community row, then one row per grid; names are text, never formulas
    tx.get(Grid, G3).name = '=HYPERLINK("http://example.invalid","网格")'
    tx.commit()
    headers = bearer_for(tx, cast, bearer)
    resp = client.get(f"/api/v1/inspection-figures?level=community&code={COMMUNITY}&from=2026-03-01&to=2026-03-31"
                      f"&campaign_id={campaign.id}&format=xlsx", headers=headers)
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][6:] == tuple(str(place_figures.FIELD_NAMES[f]) for f in place_figures.FIELDS)
    assert rows[1][1] == COMMUNITY and rows[1][6:] == (2, 5, 3, 3, 2, 1, 1, 1)
    by_grid = {r[1]: r[6:] for r in rows[2:]}
    assert by_grid[G2][:5] == (1, 2, 1, 1, 1) and by_grid[G3] == (0,) * 8
    assert [r[0] for r in rows if r[1] == G3] == ['\'=HYPERLINK("http://example.invalid","网格")']
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert client.get("/api/v1/inspection-figures?level=community&code=999", headers=headers).status_code == 404


def test_a_grid_split_moves_the_places_into_the_new_grids(client, tx, cast, bearer):
    w = cast["worker"]
    a = _place(w, G1, "测试企业（虚构）", "qiye")
    resp = client.post(f"/api/v1/grids/{G1}/split", json={}, headers=bearer("admin"))
    assert resp.status_code == 200, resp.get_json()
    tx.expire_all()
    moved = tx.get(Place, a.id)
    assert moved.grid_code in resp.get_json()["issued"]
    assert tx.scalar(select(func.ST_Covers(Grid.geom, Place.geom)).join(Place, Place.id == a.id)
                     .where(Grid.code == moved.grid_code)) is True


def test_place_types_and_checklists_are_edited_by_admin_only(tx, cast, client, bearer):
    with pytest.raises(Forbidden):
        places.save_type(cast["district"], "kuangshan", "矿山", ["安全出口"])
    admin = _user(tx, "admin", "admin")
    tx.commit()
    t = places.save_type(admin, "kuangshan", "矿山（测试）", ["安全出口", " ", "通风"])
    assert t.checklist == ["安全出口", "通风"]
    with pytest.raises(BadInput):
        places.save_type(admin, "dup", "网吧", [])
    listed = client.get("/api/v1/place-types", headers=bearer_for(tx, cast, bearer)).get_json()["types"]
    names = [t["name"] for t in listed]
    assert names[:12] == [name for _c, name, _l in places.DEFAULT_TYPES] and "矿山（测试）" in names


def test_inspection_photos_are_on_the_timeline(tx, cast):
    from caseutil import jpeg_bytes

    from gridapp.incidents import photos
    w = cast["worker"]
    a = _place(w, G1, "测试景区（虚构）", "jingqu")
    photo = photos.store(w, jpeg_bytes(), "p.jpg", settings=photo_settings())
    insp = _inspect(w, [{"place_id": a.id, "findings": "警示标识缺失", "attachments": [f"photo:{photo.sha256}"]}], T0)
    assert insp.visits[0].attachments == [f"photo:{photo.sha256}"]
    assert [e.attachments for e in places.timeline(a) if e.action == "inspected"] == [[f"photo:{photo.sha256}"]]
    with pytest.raises(BadInput):
        _inspect(w, [{"place_id": a.id, "attachments": ["photo:" + "0" * 64]}], T0)


def test_incident_rework_and_approval_reminders(tx, cast):
    """Returned for rework and approval wanted, for incidents, from their history and approvals."""
    from caseutil import make_case
    w, sec = cast["worker"], cast["sec"]
    handler = _user(tx, "handler2", "worker")
    tx.commit()
    inc = make_case(w, "filed", grid=G1, reported_at=T0, category="0102")
    tx.commit()
    workflow.perform(sec, inc.id, "dispatch", {"handler": handler.username}, now=T0 + H)
    reminders.compute(T0 + 1.5 * H)  # the job runs between the steps
    assert [n.kind for n in reminders.for_user(handler)] == ["assigned"]
    workflow.perform(handler, inc.id, "start", {}, now=T0 + 2 * H)
    workflow.perform(handler, inc.id, "handle", {"note": "已处理"}, now=T0 + 3 * H)
    workflow.perform(w, inc.id, "verify", {"passed": False, "note": "未清理干净"}, now=T0 + 4 * H)
    workflow.perform(handler, inc.id, "extend", {"hours": 24, "note": "需要材料"}, now=T0 + 5 * H)
    reminders.compute(T0 + 6 * H)
    kinds = {n.kind for n in reminders.for_user(handler) if n.subject_type == "incident"}
    assert {"assigned", "returned"} <= kinds
    assert [n.kind for n in reminders.for_user(sec)] == ["approval"]  # rank 2 > the handler's 1
    assert "approval" in {n.kind for n in reminders.for_user(cast["town"])}
    assert reminders.compute(T0 + 6 * H) == 0


def test_demo_campaign_is_fictitious_and_shows_figures(tx):
    from gridapp.demo.places import CAMPAIGN
    from gridapp.demo.places import COMMUNITY as DEMO_COMMUNITY
    from gridapp.models import Campaign
    campaign = tx.scalar(select(Campaign).where(Campaign.name == CAMPAIGN))
    assert "虚构" in campaign.name and "演示" in campaign.name
    names = [p.name for p in tx.scalars(select(Place).where(Place.community_code == DEMO_COMMUNITY))]
    assert all("演示" in n or "虚构" in n for n in names) and len(names) >= 4
    admin = tx.scalar(select(User).where(User.username == "district"))
    counts = place_figures.compute(admin, "community", DEMO_COMMUNITY, campaign_id=campaign.id,
                                   now=datetime(2026, 12, 1, tzinfo=UTC))["counts"]
    assert counts == {"inspections": 3, "person_times": 7, "vehicle_trips": 4, "places_inspected": 4,
                      "notices_issued": 3, "rectified_on_time": 1, "overdue": 1, "banned": 1}
    from gridapp.demo.places import load_demo_places
    assert load_demo_places(lambda m: None) == {"types_added": 0, "places": 0, "inspections": 0}  # idempotent
