"""Real cases: the Boston 311 fixture (1,009 cases, wards 3 and 5, May 2015) imported into the
Boston analogue district; the product's on-time figure agrees with the file's ontime_status."""
from __future__ import annotations

import csv

from sqlalchemy import func, select

from gridapp.analytics import facts
from gridapp.incidents import boston
from gridapp.incidents.boston import DATA, DISTRICT
from gridapp.models import AdminArea, Grid, Incident, IncidentEvent

FIXTURE = DATA / "boston311_2015_fixture_wards3_5_may.csv"


def test_boston_import_and_on_time_agreement(tx, make_user):
    stats = boston.import_cases(FIXTURE, log=lambda m: None)
    assert stats == {"imported": 1009, "skipped_existing": 0, "relocated": 0, "closed": 929, "open": 80}
    assert tx.scalar(select(func.count()).select_from(Grid).where(Grid.district_code == DISTRICT)) == 255
    assert tx.scalar(select(func.count()).select_from(AdminArea).where(
        AdminArea.district_code == DISTRICT, AdminArea.level == "community")) == 22
    # every closed case whose deadline the file gives: the product's rule agrees with ontime_status
    result = boston.compare_on_time(FIXTURE)
    assert result["compared"] == 906 and result["agree"] == 906 and result["disagree"] == []
    # the KPI of the district, by SQL, equals the file's own count of ONTIME among those cases
    with FIXTURE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ontime_in_file = sum(r["case_status"] == "Closed" and r["ontime_status"] == "ONTIME" and bool(r["target_dt"])
                         for r in rows)
    admin = make_user("admin")
    k = facts.compute(admin, "district", DISTRICT)
    assert k["counts"]["closed"] == 929 and k["counts"]["closed_on_time"] == ontime_in_file
    assert k["counts"]["reported"] == 1009 and k["counts"]["filed"] == 1009
    # real times, America/New_York → UTC: case 101001367728 opened 2015-05-01T03:49:33 (EDT, UTC−4)
    first = tx.scalar(select(Incident).where(Incident.external_id == "boston311:101001367728"))
    assert first.reported_at.isoformat() == "2015-05-01T07:49:33+00:00" and first.status == "closed"
    assert [e.action for e in tx.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == first.id)
                                         .order_by(IncidentEvent.id))] == ["report", "file", "handle", "verify"]
    # a second run imports nothing again
    assert boston.import_cases(FIXTURE, log=lambda m: None)["skipped_existing"] == 1009
