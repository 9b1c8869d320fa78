"""Places, inspections, rectification notices, reminders and figures (issue #10), on PostGIS."""
from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from caseutil import grid_point
from openpyxl import load_workbook
from placeutil import (  # noqa: F401 (cast: the fixture)
    COMMUNITY,
    G1,
    G2,
    G3,
    T0,
    H,
    cast_fixture,
    inspect,
    make_place,
    notice_of,
    place_user,
    visit,
)
from sqlalchemy import func, select

from gridapp.errors import BadInput, Forbidden, NotFound
from gridapp.inspections import figures as place_figures
from gridapp.inspections import notices as rectification
from gridapp.inspections import service as inspections
from gridapp.models import Grid, Place, User
from gridapp.places import service as places
from gridapp.places.rules import DEFAULT_TYPES
from gridapp.settings import photo_settings


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
    a = make_place(w, G1, "测试市场（虚构）", "shichang")
    b = make_place(w2, G2, "测试企业（虚构）", "qiye")
    with pytest.raises(Forbidden):  # a worker registers only in their grids
        make_place(w, G2, "测试其他（虚构）", "qita")
    ids = lambda u: {p.id for p in places.search(u)} & {a.id, b.id}  # noqa: E731
    assert ids(w) == {a.id} and ids(w2) == {b.id}
    assert ids(cast["sec"]) == ids(cast["town"]) == ids(cast["district"]) == {a.id, b.id}
    assert ids(cast["othersec"]) == set()
    insp = inspect(w, [{"place_id": a.id, "findings": "消防通道堵塞",
                         "notice": {"requirements": "清理通道", "deadline": "2026-03-04"}}], T0)
    n = notice_of(tx, insp, a)
    for outsider in (w2, cast["othersec"]):
        with pytest.raises(NotFound):
            places.get_place(outsider, a.id)
        with pytest.raises(NotFound):
            rectification.get_notice(outsider, n.id)
        with pytest.raises(NotFound):
            inspections.get_inspection(outsider, insp.id)
    with pytest.raises(NotFound):  # a worker cannot inspect a place outside their grids
        inspect(w, [{"place_id": b.id}], T0)
    with pytest.raises(Forbidden):
        place_figures.compute(w, "community", COMMUNITY)
    with pytest.raises(Forbidden):
        place_figures.compute(cast["othersec"], "community", COMMUNITY)
    with pytest.raises(Forbidden):
        inspections.create_campaign(w, "x", COMMUNITY, "2026-03-01", "2026-03-31")
    with pytest.raises(NotFound):  # issue 18: another community's area is not found, like an unknown one
        inspections.create_campaign(cast["othersec"], "x", COMMUNITY, "2026-03-01", "2026-03-31")
    headers = bearer_for(tx, cast, bearer)
    layer = client.get("/api/v1/places?status=operating", headers=headers).get_json()
    assert {f["id"] for f in layer["features"]} >= {a.id, b.id}
    assert all(f["properties"]["status"] == "operating" for f in layer["features"])
    assert client.get("/api/v1/places?status=closed", headers=headers).status_code == 400


def test_figures_equal_hand_computed_values(tx, cast, client, bearer):
    w, w2, sec, district = cast["worker"], cast["worker2"], cast["sec"], cast["district"]
    pa, pb = make_place(w, G1, "测试煤场A（虚构）"), make_place(w, G1, "测试煤场B（虚构）")
    pc = make_place(w2, G2, "测试回收站C（虚构）", "huishou")
    campaign = inspections.create_campaign(district, "测试专项整治（虚构）", COMMUNITY, "2026-03-01", "2026-03-31")
    # I1: 3 people, 2 vehicle trips, places A and B; notice on A, passed on time
    i1 = inspect(sec, [visit(pa, "未覆盖", "2026-03-05"),
                        {"place_id": pb.id}], T0, members=("张某", "李某", "王某"), trips=2, campaign=campaign.id)
    # I2: 2 people, 1 trip, places A and C; notice on C fails and C is banned with approval
    i2 = inspect(sec, [{"place_id": pa.id}, {"place_id": pc.id, "findings": "焚烧",
                                              "notice": {"requirements": "停止", "deadline": "2026-03-06"}}],
                  T0 + 48 * H, members=("张某", "赵某"), trips=1, campaign=campaign.id)
    # I3: not in the campaign, 4 people, 3 trips, place B; notice on B still open after its deadline
    i3 = inspect(sec, [visit(pb, "洒水不足", "2026-03-08")],
                  T0 + 96 * H, members=("甲某", "乙某", "丙某", "丁某"), trips=3)
    with pytest.raises(BadInput):  # outside the campaign's period
        inspect(sec, [{"place_id": pb.id}], datetime(2026, 4, 2, 2, 0, tzinfo=UTC), campaign=campaign.id)
    other = make_place(cast["district"], "610202002010002", "测试市场（虚构）", "shichang")
    with pytest.raises(BadInput) as outside:  # outside the campaign's area
        inspect(cast["district"], [{"place_id": other.id}], T0, campaign=campaign.id)
    assert outside.value.code == "outside_campaign"
    # I4: in April, outside the period asked below
    inspect(sec, [{"place_id": pc.id}], datetime(2026, 4, 2, 2, 0, tzinfo=UTC), members=("甲某",), trips=5)
    rectification.act(w, notice_of(tx, i1, pa).id, "reinspect", {"passed": True}, now=T0 + 72 * H)
    nc = notice_of(tx, i2, pc)
    rectification.act(w2, nc.id, "reinspect", {"passed": False}, now=T0 + 100 * H)
    rectification.act(w2, nc.id, "escalate", {"measure": "ban", "note": "不合格"}, now=T0 + 101 * H)
    rectification.act(district, nc.id, "approve", {}, now=T0 + 102 * H)
    assert notice_of(tx, i3, pb).status == "issued"
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
    a = make_place(w, G1, "测试企业（虚构）", "qiye")
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
    admin = place_user(tx, "admin", "admin")
    tx.commit()
    t = places.save_type(admin, "kuangshan", "矿山（测试）", ["安全出口", " ", "通风"])
    assert t.checklist == ["安全出口", "通风"]
    with pytest.raises(BadInput):
        places.save_type(admin, "dup", "网吧", [])
    listed = client.get("/api/v1/place-types", headers=bearer_for(tx, cast, bearer)).get_json()["types"]
    names = [t["name"] for t in listed]
    assert names[:12] == [name for _c, name, _l in DEFAULT_TYPES] and "矿山（测试）" in names


def test_inspection_photos_are_on_the_timeline(tx, cast):
    from caseutil import jpeg_bytes

    from gridapp.incidents import photos
    w = cast["worker"]
    a = make_place(w, G1, "测试景区（虚构）", "jingqu")
    photo = photos.store(w, jpeg_bytes(), "p.jpg", settings=photo_settings())
    insp = inspect(w, [{"place_id": a.id, "findings": "警示标识缺失", "attachments": [f"photo:{photo.sha256}"]}], T0)
    assert insp.visits[0].attachments == [f"photo:{photo.sha256}"]
    assert [e.attachments for e in places.timeline(a) if e.action == "inspected"] == [[f"photo:{photo.sha256}"]]
    with pytest.raises(NotFound):  # issue 18: an absent photo, like another scope's, is not found
        inspect(w, [{"place_id": a.id, "attachments": ["photo:" + "0" * 64]}], T0)


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
