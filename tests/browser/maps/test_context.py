"""Context on a map without a base map (issue 20): the incident map of a district user asks for the
area and grid outlines and paints them, with their names, under the clusters."""
from __future__ import annotations

import pytest
from conftest import login, report_in_worker_grid  # tests/browser is on sys.path (pyproject: pythonpath)

pytestmark = pytest.mark.browser
#: JS: the first marker or cluster wholly inside the map's box, or undefined
ON_SCREEN = """() => {
  const b = document.querySelector('#map-wrap .folium-map').getBoundingClientRect();
  return [...document.querySelectorAll('.leaflet-marker-pane > .leaflet-marker-icon')].find(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom; }); }"""


def test_incident_map_paints_outlines_under_the_clusters(live_server, offline_page, app):
    report_in_worker_grid(app, 3, "底图上下文测试（虚构）")
    page, asked = offline_page.page, []
    page.on("request", lambda r: asked.append(r.url))
    login(page, live_server, "district", "/cases/map%3Fcategory%3D0103%26grid%3D610202002010001")
    page.wait_for_function("() => window.gridappMap && window.gridappMap.ready && window.gridappContext"
                           " && (window.gridappContext.ready || window.gridappContext.error)")
    assert page.evaluate("window.gridappContext.error") is None
    page.wait_for_load_state("networkidle")
    # the view has settled (no zoom animation) and a marker or cluster is on screen
    page.wait_for_function(f"() => !document.querySelector('.leaflet-zoom-anim') && ({ON_SCREEN})() !== undefined")
    # the outlines of every level were asked for (GeoJSON of the district's scale) and drawn
    for path in ("/api/v1/areas?level=district", "/api/v1/areas?level=township", "/api/v1/areas?level=community",
                 "/api/v1/grids"):
        assert any(path in url for url in asked), path
    drawn = page.evaluate("window.gridappContext.drawn")
    assert drawn["district"] >= 1 and drawn["township"] == 7 and drawn["community"] == 46 and drawn["grid"] == 261
    painted = page.evaluate("""() => {
      const pane = document.querySelector('.leaflet-gridappContext-pane');
      const paths = [...pane.querySelectorAll('path')].filter(p => (p.getAttribute('d') || '').length > 10);
      const box = document.querySelector('#map-wrap .folium-map').getBoundingClientRect();
      const inView = paths.filter(p => { const r = p.getBoundingClientRect();
        return r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom; });
      const cluster = (""" + ON_SCREEN + """)();
      const c = cluster.getBoundingClientRect();
      const top = document.elementFromPoint(c.left + c.width / 2, c.top + c.height / 2);
      return {paths: paths.length, inView: inView.length,
              classes: [...new Set(paths.map(p => p.getAttribute('class')))],
              paneZ: +getComputedStyle(pane).zIndex,
              clusterZ: +getComputedStyle(cluster.closest('.leaflet-pane')).zIndex,
              clusterOnTop: !!(top && top.closest('.leaflet-marker-pane')),
              labels: [...document.querySelectorAll('.gridapp-context-label')].map(l => l.textContent)};
    }""")
    # every level is painted in the view (paths outside it are culled by Leaflet)
    levels = ("district", "township", "community", "grid")
    assert set(painted["classes"]) == {f"gridapp-context-{level}" for level in levels}, painted
    assert painted["inView"] >= 1, painted
    assert painted["paneZ"] < painted["clusterZ"] and painted["clusterOnTop"], painted
    # the incidents' grid or community, named at this zoom (grids from zoom 16, communities below)
    assert {"红旗社区1号网格", "红旗社区"} & set(painted["labels"]), painted["labels"]
    assert offline_page.errors == [] and offline_page.aborted == []
