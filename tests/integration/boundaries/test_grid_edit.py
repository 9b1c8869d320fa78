"""Grid editing on the demo district: split, merge, edge move and generation keep the community
tiled, retire old codes, issue new ones with lineage and move incidents in the same transaction."""
from __future__ import annotations

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import LineString, mapping
from sqlalchemy import func, select

from gridapp import geo
from gridapp.geo.edit import shared_length
from gridapp.incidents.reports import report_incident
from gridapp.models import (
    AdminArea,
    Grid,
    GridAssignment,
    GridLineage,
    GroupGrid,
    Incident,
    PartyMember,
    User,
    WorkerGrid,
)

COMMUNITY = "610202002010"  # 红旗社区
FIRST = "610202002010001"  # the demo grid worker's grid


def _grids(tx) -> dict:
    return {g.code: to_shape(g.geom) for g in tx.scalars(select(Grid).where(Grid.community_code == COMMUNITY))}


def _tiled(tx) -> bool:
    return geo.tiles(list(_grids(tx).values()), to_shape(tx.get(AdminArea, COMMUNITY).geom), rel_tol=1e-6)


def _incident_in(tx, code: str, where=None) -> int:
    admin = tx.scalar(select(User).where(User.username == "admin"))
    p = where or to_shape(tx.get(Grid, code).geom).representative_point()
    return report_incident(admin, "0101", "测试事件", p.x, p.y).id


def _neighbour(tx, code: str) -> str:
    grids = _grids(tx)
    return max((c for c in grids if c != code), key=lambda c: shared_length(grids[code], grids[c]))


def _assert_moved(tx, incident_ids, issued):
    for i in incident_ids:
        inc = tx.get(Incident, i)
        tx.refresh(inc)
        assert inc.grid_code in issued
        assert to_shape(tx.get(Grid, inc.grid_code).geom).covers(to_shape(inc.geom))


def test_split_in_four(client, bearer, tx):
    before = _grids(tx)
    incident = _incident_in(tx, FIRST)
    resp = client.post(f"/api/v1/grids/{FIRST}/split", json={}, headers=bearer("admin"))
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["retired"] == [FIRST] and len(body["issued"]) == 4
    assert min(int(c[12:]) for c in body["issued"]) == max(int(c[12:]) for c in before) + 1
    assert tx.get(Grid, FIRST) is None and _tiled(tx)
    assert sorted(n for _o, n in body["lineage"]) == body["issued"]
    assert tx.scalar(select(func.count()).select_from(GridLineage).where(GridLineage.old_code == FIRST)) == 4
    _assert_moved(tx, [incident], body["issued"])
    worker = tx.scalar(select(User).where(User.username == "worker"))
    assigned = dict(tx.execute(select(GridAssignment.grid_code, GridAssignment.is_primary)
                               .where(GridAssignment.user_id == worker.id)).all())
    assert set(assigned) == set(body["issued"]) and sum(assigned.values()) == 1


def test_split_moves_the_party_organisation_and_the_roster(client, bearer, tx):
    """The grid's party group, roster workers (one primary each) and members follow the split."""
    group = tx.scalar(select(GroupGrid.group_id).where(GroupGrid.grid_code == FIRST))
    workers = set(tx.scalars(select(WorkerGrid.worker_id).where(WorkerGrid.grid_code == FIRST)))
    members = set(tx.scalars(select(PartyMember.id).where(PartyMember.grid_code == FIRST)))
    assert group and workers and members  # the demo roster organises this grid
    body = client.post(f"/api/v1/grids/{FIRST}/split", json={}, headers=bearer("admin")).get_json()
    issued = set(body["issued"])
    tx.expire_all()
    assert set(tx.scalars(select(GroupGrid.grid_code).where(GroupGrid.group_id == group))) >= issued
    for worker_id in workers:
        rows = dict(tx.execute(select(WorkerGrid.grid_code, WorkerGrid.is_primary)
                               .where(WorkerGrid.worker_id == worker_id)).all())
        assert issued <= set(rows) and sum(rows.values()) == 1
    assert {tx.get(PartyMember, m).grid_code for m in members} <= issued
    coverage = client.get(f"/api/v1/coverage?level=community&code={COMMUNITY}", headers=bearer("admin"))
    assert coverage.status_code == 200


def test_split_along_a_line(client, bearer, tx):
    grids = _grids(tx)
    code = max(grids, key=lambda c: grids[c].area)
    shape_ = grids[code]
    c = shape_.centroid
    minx, _miny, maxx, _maxy = shape_.bounds
    line = LineString([(minx - 1e-4, c.y), (maxx + 1e-4, c.y)])
    north = _incident_in(tx, code, shapely.Point(c.x, c.y + 1e-4))
    resp = client.post(f"/api/v1/grids/{code}/split", json={"line": mapping(line)}, headers=bearer("admin"))
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert len(body["issued"]) == 2 and _tiled(tx)
    _assert_moved(tx, [north], body["issued"])
    bad = client.post(f"/api/v1/grids/{body['issued'][0]}/split",
                      json={"line": mapping(LineString([(0, 0), (1, 1)]))}, headers=bearer("admin"))
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_edit"


def test_merge_adjacent_grids(client, bearer, tx):
    other = _neighbour(tx, FIRST)
    incidents = [_incident_in(tx, FIRST), _incident_in(tx, other)]
    resp = client.post("/api/v1/grids/merge", json={"codes": [FIRST, other]}, headers=bearer("admin"))
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["retired"] == sorted([FIRST, other]) and len(body["issued"]) == 1 and _tiled(tx)
    _assert_moved(tx, incidents, body["issued"])
    far = max(_grids(tx), key=lambda c: to_shape(tx.get(Grid, c).geom).distance(
        to_shape(tx.get(Grid, body["issued"][0]).geom)))
    refused = client.post("/api/v1/grids/merge", json={"codes": [body["issued"][0], far]}, headers=bearer("admin"))
    assert refused.status_code == 400


def test_move_a_shared_edge(client, bearer, tx):
    grids = _grids(tx)
    other = _neighbour(tx, FIRST)
    a, b = grids[FIRST], grids[other]
    edge = shapely.line_merge(shapely.intersection(a.boundary, b.boundary))
    p1, p2 = shapely.Point(edge.coords[0]), shapely.Point(edge.coords[-1])
    mid = edge.interpolate(0.5, normalized=True)
    ca = a.centroid
    bent = shapely.Point(mid.x + 0.3 * (ca.x - mid.x), mid.y + 0.3 * (ca.y - mid.y))
    line = LineString([p1, bent, p2])
    incidents = [_incident_in(tx, FIRST), _incident_in(tx, other),
                 _incident_in(tx, FIRST, shapely.Point(mid.x + 0.1 * (ca.x - mid.x), mid.y + 0.1 * (ca.y - mid.y)))]
    resp = client.post("/api/v1/grids/move-edge", json={"codes": [FIRST, other], "line": mapping(line)},
                       headers=bearer("admin"))
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert len(body["issued"]) == 2 and _tiled(tx)
    new = _grids(tx)
    total = geo.area_m2(a) + geo.area_m2(b)
    assert abs(sum(geo.area_m2(new[c]) for c in body["issued"]) - total) < 1e-6 * total
    _assert_moved(tx, incidents, body["issued"])
    moved = tx.get(Incident, incidents[2])
    assert to_shape(tx.get(Grid, moved.grid_code).geom).intersection(b).area > 0  # it changed sides


def test_generate_grids_by_count_and_by_area(client, bearer, tx):
    incident = _incident_in(tx, FIRST)
    resp = client.post(f"/api/v1/communities/{COMMUNITY}/grids/generate", json={"n": 5}, headers=bearer("admin"))
    body = resp.get_json()
    assert resp.status_code == 200 and len(body["issued"]) == 5 and _tiled(tx)
    _assert_moved(tx, [incident], body["issued"])
    area = geo.area_m2(to_shape(tx.get(AdminArea, COMMUNITY).geom))
    resp = client.post(f"/api/v1/communities/{COMMUNITY}/grids/generate", json={"target_area_m2": area / 3.5},
                       headers=bearer("admin"))
    assert resp.status_code == 200 and len(resp.get_json()["issued"]) == 4
    codes = sorted(_grids(tx))
    assert codes[0] > body["issued"][-1]  # retired codes are never issued again


def test_grid_edits_need_admin_or_district(client, bearer, make_user, tx):
    make_user("secretary", COMMUNITY)
    resp = client.post(f"/api/v1/grids/{FIRST}/split", json={}, headers=bearer("secretary-1"))
    assert resp.status_code == 403
    assert client.post(f"/api/v1/grids/{FIRST}/split", json={}, headers=bearer("district")).status_code == 200


def test_renumbering_is_explicit_and_keeps_shapes(client, bearer, tx):
    before = _grids(tx)
    incident = _incident_in(tx, FIRST)
    resp = client.post(f"/api/v1/communities/{COMMUNITY}/grids/renumber", headers=bearer("admin"))
    body = resp.get_json()
    assert resp.status_code == 200 and body["retired"] == sorted(before) and len(body["issued"]) == len(before)
    assert len(body["lineage"]) == len(before)  # 1:1
    after = _grids(tx)
    for old, new in body["lineage"]:
        assert after[new].equals(before[old])
    _assert_moved(tx, [incident], body["issued"])


def test_generate_by_target_households(client, bearer, tx):
    for g in tx.scalars(select(Grid).where(Grid.community_code == COMMUNITY)):
        g.households = 300  # fictitious test figures
    tx.commit()
    total = 300 * len(_grids(tx))
    resp = client.post(f"/api/v1/communities/{COMMUNITY}/grids/generate", json={"target_households": 500},
                       headers=bearer("admin"))
    assert resp.status_code == 200 and len(resp.get_json()["issued"]) == -(-total // 500) and _tiled(tx)
