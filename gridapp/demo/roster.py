"""Demo party-organisation roster of 王益区 — **fictitious people, real figures**.

Generated deterministically (no randomness) so that the coverage queries reproduce the figures
of the district report in shared/seeds ("全区20个社区261个网格，单建网格党小组77个，联建53个，
……共1400余名参与社区网格服务"; "48家驻区单位到社区担任兼职委员"):

* 20 community party organisations (one per 社区), 130 grid party groups: 77 单建 + 53 联建,
  covering all but :data:`GRIDS_WITHOUT_GROUP` grids (2 grids per group on average);
* :data:`MEMBERS` party members (演示党员0001 …), placed in their group's grids;
* 48 stationed units (演示驻区单位01 …), each with one 兼职委员 (演示委员01 …);
* one or more grid workers (演示网格员001 …) in every grid except :data:`GRIDS_WITHOUT_WORKER`,
  so that the coverage map has gaps; the demo login ``worker`` is linked to the worker of its grid.

Phones use the prefix 100 (no Chinese mobile number starts with 10) and ID numbers the birth year
1900: none can belong to a real person. Everything is labelled 演示 (demo).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select

from ..accounts.audit import record as audit
from ..extensions import db
from ..models import (
    AdminArea,
    CommitteeSeat,
    CommunityPartyOrg,
    Grid,
    GridPartyGroup,
    GridWorker,
    GroupGrid,
    GroupPartner,
    PartyMember,
    StarRating,
    StationedUnit,
    User,
    WorkerGrid,
)

GROUPS_SINGLE, GROUPS_JOINT = 77, 53  # district report (shared/seeds)
STATIONED_UNITS = 48  # district report: 48家驻区单位 … 兼职委员
MEMBERS = 1408  # district report: "共1400余名" (1,400 and more); the exact figure is ours
GRIDS_WITHOUT_GROUP = 5
GRIDS_WITHOUT_WORKER = 4
KINDS = ("in_service", "resident", "in_service", "social_org", "volunteer")
PARTNERS = ("compound", "building", "social_org")
PARTNER_NAMES = {"compound": "演示小区", "building": "演示商务楼宇", "social_org": "演示社会组织"}


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties to the first)."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _id_number(n: int) -> str:
    """A GB 11643 ID number with birth date 1900-01-01 (fictitious) and a valid check character."""
    body = f"6102021900{(n // 28) % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    return body + check_char(body)


def check_char(body: str) -> str:
    """GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def _phone(n: int) -> str:
    return f"100{n:08d}"


def _chunks(items: list, sizes: list[int]) -> list[list]:
    out, start = [], 0
    for size in sizes:
        out.append(items[start:start + size])
        start += size
    return out


def load_demo_roster(district_code: str, log: Callable[[str], None] = print) -> dict:
    """Create the demo roster once (skipped when the district already has groups); the caller
    commits. Returns the counts created."""
    if db.session.scalar(select(func.count()).select_from(GridPartyGroup)
                         .where(GridPartyGroup.district_code == district_code)):
        log("demo party roster already loaded; keeping it")
        return {}
    grids_by = {}
    for code, community in db.session.execute(select(Grid.code, Grid.community_code)
                                              .where(Grid.district_code == district_code).order_by(Grid.code)):
        grids_by.setdefault(community, []).append(code)
    communities = sorted(grids_by)
    names = dict(db.session.execute(select(AdminArea.code, AdminArea.name)
                                    .where(AdminArea.code.in_(communities))).all())
    sizes = [len(grids_by[c]) for c in communities]
    # communities with the most grids each leave one grid without a group / without a worker
    by_size = sorted(range(len(communities)), key=lambda i: (-sizes[i], i))
    no_group = set(by_size[:GRIDS_WITHOUT_GROUP])
    no_worker = set(by_size[GRIDS_WITHOUT_GROUP:GRIDS_WITHOUT_GROUP + GRIDS_WITHOUT_WORKER])
    group_counts = allocate(GROUPS_SINGLE + GROUPS_JOINT, [s - (i in no_group) for i, s in enumerate(sizes)])
    while 0 in group_counts:  # every community gets a group: take one from the community with the most
        group_counts[group_counts.index(max(group_counts))] -= 1
        group_counts[group_counts.index(0)] = 1
    unit_counts = allocate(STATIONED_UNITS, [1] * len(communities))
    member_counts = allocate(MEMBERS, [1] * (GROUPS_SINGLE + GROUPS_JOINT))
    login = db.session.scalar(select(User).where(User.username == "worker"))
    login_grid = login.assignments[0].grid_code if login and login.assignments else None
    group_no = unit_no = member_no = worker_no = 0
    for ci, community in enumerate(communities):
        grids = grids_by[community]
        db.session.add(CommunityPartyOrg(community_code=community, district_code=district_code,
                                         name=f"{names[community]}党委", kind="committee",
                                         secretary_name="演示书记"))
        units = []
        for _ in range(unit_counts[ci]):
            unit_no += 1
            unit = StationedUnit(community_code=community, district_code=district_code,
                                 name=f"演示驻区单位{unit_no:02d}", unit_type="机关事业单位",
                                 seats=[CommitteeSeat(community_code=community, person_name=f"演示委员{unit_no:02d}",
                                                      title="兼职委员", start_on=date(2021, 1, 1))])
            units.append(unit)
            db.session.add(unit)
        db.session.flush()
        grouped = grids[:-1] if ci in no_group else grids
        for gi, chunk in enumerate(_chunks(grouped, allocate(len(grouped), [1] * group_counts[ci]))):
            joint = (group_no + 1) * GROUPS_JOINT // (GROUPS_SINGLE + GROUPS_JOINT) \
                > group_no * GROUPS_JOINT // (GROUPS_SINGLE + GROUPS_JOINT)
            partners = []
            if joint:
                unit = units[gi % len(units)] if units else None
                ptype = "stationed_unit" if gi % 2 == 0 and unit else PARTNERS[gi % 3]
                partners = [GroupPartner(partner_type=ptype, stationed_unit_id=unit.id if ptype == "stationed_unit"
                                         else None, name=unit.name if ptype == "stationed_unit"
                                         else f"{PARTNER_NAMES[ptype]}{group_no + 1:03d}")]
            group = GridPartyGroup(community_code=community, district_code=district_code,
                                   name=f"{names[community]}第{gi + 1}网格党小组（演示）",
                                   build_type="joint" if joint else "single", established_on=date(2020, 6, 1),
                                   grids=[GroupGrid(grid_code=c) for c in chunk], partners=partners)
            db.session.add(group)
            db.session.flush()
            db.session.add(StarRating(group_id=group.id, community_code=community, stars=group_no % 5 + 1,
                                      rated_on=date(2025, 12, 31), note="演示评星"))
            for k in range(member_counts[group_no]):
                member_no += 1
                kind = KINDS[member_no % len(KINDS)]
                db.session.add(PartyMember(
                    community_code=community, district_code=district_code, group_id=group.id,
                    grid_code=chunk[k % len(chunk)], name=f"演示党员{member_no:04d}", kind=kind,
                    role="leader" if k == 0 else "member", phone=_phone(member_no), id_number=_id_number(member_no),
                    home_unit=(units[k % len(units)].name if units else "演示单位") if kind == "in_service" else None,
                    reported_on=date(2021, 3, 1) if kind == "in_service" else None))
            group_no += 1
        staffed = grids[:-1] if ci in no_worker else grids
        for gi, code in enumerate(staffed):
            worker_no += 1
            db.session.add(GridWorker(community_code=community, district_code=district_code,
                                      name=f"演示网格员{worker_no:03d}", kind="full_time",
                                      phone=_phone(90000000 + worker_no), id_number=_id_number(5000 + worker_no),
                                      user_id=login.id if code == login_grid else None,
                                      grids=[WorkerGrid(grid_code=code, is_primary=True)]))
            if gi % 5 == 4 and gi + 1 < len(staffed):  # a part-time worker helping in two grids
                worker_no += 1
                db.session.add(GridWorker(community_code=community, district_code=district_code,
                                          name=f"演示网格员{worker_no:03d}", kind="part_time",
                                          grids=[WorkerGrid(grid_code=code, is_primary=True),
                                                 WorkerGrid(grid_code=staffed[gi + 1], is_primary=False)]))
    counts = {"groups": group_no, "members": member_no, "stationed_units": unit_no, "workers": worker_no}
    audit(None, "import", "demo_roster", None, None, **counts)
    log(f"demo party roster: {counts}")
    return counts
