"""Hostile text in Debian chromium: markup, </script>, an inline event handler, a template literal,
a backtick and backslash sequences in an incident description, a party member's name and a
grid's name (the attribute an import fills) show literally in pages, map tooltips and popups;
nothing runs, no page error, the map still loads."""
from __future__ import annotations

import pytest
from conftest import login  # tests/browser is on sys.path (pyproject: pythonpath)
from sqlalchemy import delete, func, select, update

pytestmark = pytest.mark.browser

# ≤ 50 characters: fits every name column
HOSTILE = "</script><img src=x onerror=px=1>${7*7}`\\u0041\\n"
GRID = "610202002010002"          # a grid of 红旗社区 with a party group
COMMUNITY = "610202002010"


@pytest.fixture
def hostile(app):
    """An incident (no history rows, so it can be removed), a party member and a grid name, all
    carrying HOSTILE; everything restored afterwards (browser tests commit)."""
    from gridapp.extensions import db
    from gridapp.models import Grid, Incident, PartyMember, User
    from gridapp.org import members as org_members
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        old_name = db.session.scalar(select(Grid.name).where(Grid.code == GRID))
        point = func.ST_PointOnSurface(Grid.geom)
        lon, lat = db.session.execute(select(func.ST_X(point), func.ST_Y(point)).where(Grid.code == GRID)).one()
        incident = Incident(category_code="0102", description="描述：" + HOSTILE,
                            geom=func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), grid_code=GRID,
                            community_code=COMMUNITY, district_code="610202", reporter_id=admin.id,
                            status="reported", reported_at=func.now())
        db.session.add(incident)
        db.session.execute(update(Grid).where(Grid.code == GRID).values(name=HOSTILE))
        db.session.commit()
        member = org_members.add_member(admin, {"community_code": COMMUNITY, "name": HOSTILE, "kind": "resident",
                                        "grid_code": GRID})
        ids = {"incident": incident.id, "member": member.id}
        db.session.remove()
    try:
        yield ids
    finally:
        with app.app_context():
            db.session.execute(delete(PartyMember).where(PartyMember.id == ids["member"]))
            db.session.execute(delete(Incident).where(Incident.id == ids["incident"]))
            db.session.execute(update(Grid).where(Grid.code == GRID).values(name=old_name))
            db.session.commit()
            db.session.remove()


def _wait_map(page):
    page.wait_for_function("() => window.gridappMap && (window.gridappMap.ready || window.gridappMap.error)")
    assert page.evaluate("() => window.gridappMap.error") in (None, "")


# Opens the tooltip (or popup) of every map layer whose content contains the text; returns how many.
OPEN_LAYERS = """(text) => {
  let opened = 0;
  for (const key of Object.keys(window)) {
    const m = window[key];
    if (!key.startsWith("map_") || !m || !m.eachLayer) { continue; }
    m.eachLayer((l) => {
      for (const [get, open] of [["getTooltip", "openTooltip"], ["getPopup", "openPopup"]]) {
        const t = l[get] && l[get]();
        if (!t) { continue; }
        const c = t.getContent();
        const s = typeof c === "string" ? c : (c && c.textContent) || "";
        if (s.includes(text)) { l[open](l.getLatLng ? l.getLatLng() : l.getBounds().getCenter()); opened += 1; }
      }
    });
  }
  return opened;
}"""


def _assert_inert(page, offline_page):
    assert page.evaluate("() => typeof window.px") == "undefined"
    assert page.locator("img[src=x]").count() == 0
    assert offline_page.errors == [] and offline_page.aborted == []


def test_hostile_text_shows_literally_in_pages_and_maps(live_server, offline_page, hostile):
    page = offline_page.page
    login(page, live_server, "admin")
    # the case page and its map marker
    page.goto(f"{live_server}/cases/{hostile['incident']}")
    assert HOSTILE in page.locator("main").inner_text()
    _assert_inert(page, offline_page)
    # the coverage map: incident tooltip and grid tooltip
    page.goto(f"{live_server}/map")
    _wait_map(page)
    assert page.evaluate(OPEN_LAYERS, HOSTILE) >= 2
    tips = page.locator(".leaflet-tooltip")
    assert any(HOSTILE in t for t in tips.all_inner_texts())
    assert any(("描述：" + HOSTILE) in t for t in tips.all_inner_texts())
    _assert_inert(page, offline_page)
    # the incident list
    page.goto(f"{live_server}/incidents")
    assert HOSTILE in page.locator("main").inner_text()
    # the party organisation: the community page (member and grid names) and the grid page
    page.goto(f"{live_server}/org/community/{COMMUNITY}")
    assert page.locator("main").inner_text().count(HOSTILE) >= 2
    page.goto(f"{live_server}/org/grid/{GRID}")
    assert HOSTILE in page.locator("main").inner_text()
    _assert_inert(page, offline_page)


def test_incident_map_loads_with_hostile_text(live_server, offline_page, hostile):
    page = offline_page.page
    login(page, live_server, "hongqi")
    page.goto(f"{live_server}/cases/map?category=0102")
    _wait_map(page)
    assert page.evaluate("() => window.gridappMap.counts.shown") >= 1
    _assert_inert(page, offline_page)
