"""Legends of the thematic maps (issue 20): the classes and colours on screen are the domain rules'
(disputes by risk level, places by status), sent as data."""
from __future__ import annotations

import pytest
from conftest import login  # tests/browser is on sys.path (pyproject: pythonpath)

from gridapp.disputes.rules import RISK_COLOURS, RISK_NAMES
from gridapp.incidents.rules import HEAT_GRADIENT
from gridapp.places.rules import STATUS_COLOURS, STATUS_NAMES

pytestmark = pytest.mark.browser
LEGEND = """() => [...document.querySelectorAll('.gridapp-legend div')].map(row => ({
  label: row.textContent,
  fill: row.querySelector('.swatch') && getComputedStyle(row.querySelector('.swatch')).backgroundColor}))"""


def _rgb(hex_colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))


def test_dispute_and_place_maps_have_legends_from_the_rules(live_server, offline_page):
    page = offline_page.page
    login(page, live_server, "district", "/disputes")
    page.wait_for_function("() => window.gridappMap && (window.gridappMap.ready || window.gridappMap.error)")
    rows = {r["label"]: r["fill"] for r in page.evaluate(LEGEND)}
    for level, colour in RISK_COLOURS.items():
        assert rows[str(RISK_NAMES[level])] == _rgb(colour)
    fills = page.evaluate("() => [...document.querySelectorAll('path.leaflet-interactive[class*=dispute-]')]"
                          ".map(p => p.getAttribute('fill'))")
    assert fills and set(fills) <= set(RISK_COLOURS.values())  # the demo's disputes, drawn in those colours
    page.goto(f"{live_server}/places")
    page.wait_for_function("() => window.gridappPlaceMap"
                           " && (window.gridappPlaceMap.ready || window.gridappPlaceMap.error)")
    rows = {r["label"]: r["fill"] for r in page.evaluate(LEGEND)}
    for status, colour in STATUS_COLOURS.items():
        assert rows[str(STATUS_NAMES[status])] == _rgb(colour)
    # the incident map: the heat ramp of the legend is the heat layer's gradient (incidents/rules.py)
    page.goto(f"{live_server}/cases/map")
    page.wait_for_function("() => window.gridappMap && (window.gridappMap.ready || window.gridappMap.error)")
    ramp = page.evaluate("""() => [...document.querySelectorAll('.gridapp-legend .swatch')]
      .map(s => getComputedStyle(s).backgroundImage).find(b => b.includes('gradient'))""")
    assert ramp and all(_rgb(colour) in ramp for colour in HEAT_GRADIENT.values()), ramp
    assert offline_page.errors == [] and offline_page.aborted == []
