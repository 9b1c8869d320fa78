"""The closed loop's pages: my tasks, the board, the case page and its CSRF-protected forms."""
from __future__ import annotations

import re

from caseutil import GRID, make_case
from sqlalchemy import select

from gridapp.models import User


def _worker(tx):
    return tx.scalar(select(User).where(User.username == "worker"))


def test_case_page_shows_actions_and_acts_with_csrf(client, tx, login, csrf_of):
    incident = make_case(_worker(tx))
    tx.commit()
    login("hongqi")
    page = client.get(f"/cases/{incident.id}")
    assert page.status_code == 200
    assert 'data-action="accept"' in page.text and 'data-action="start"' not in page.text
    # without the CSRF token: refused, nothing written
    resp = client.post(f"/cases/{incident.id}/act", data={"action": "accept", "version": "1"})
    assert resp.status_code == 400
    tx.refresh(incident)
    assert incident.status == "reported"
    token = csrf_of(page.text)
    resp = client.post(f"/cases/{incident.id}/act", data={"action": "accept", "version": "1", "csrf_token": token},
                       follow_redirects=True)
    assert "操作已完成" in resp.text
    tx.refresh(incident)
    assert incident.status == "accepted" and incident.version == 2
    # the same form again (stale version 1): 409 shown as an error, nothing written
    resp = client.post(f"/cases/{incident.id}/act", data={"action": "file", "version": "1", "csrf_token": token},
                       follow_redirects=True)
    assert "已被他人更新" in resp.text
    tx.refresh(incident)
    assert incident.status == "accepted"


def test_board_filters_and_pages(client, tx, login):
    worker = _worker(tx)
    ids = [make_case(worker).id for _ in range(21)]
    filed = make_case(worker, "filed")
    tx.commit()
    login("hongqi")
    first = client.get("/cases?state=reported&from=2026-03-02&to=2026-03-02")
    assert first.status_code == 200 and 'rel="next"' in first.text
    assert len(re.findall(r'href="/cases/\d+"', first.text)) == 20
    second = client.get("/cases?state=reported&from=2026-03-02&to=2026-03-02&page=2")
    assert len(re.findall(r'href="/cases/\d+"', second.text)) == 1 and 'rel="prev"' in second.text
    only_filed = client.get(f"/cases?state=filed&grid={GRID}&from=2026-03-02&to=2026-03-02")
    assert f'href="/cases/{filed.id}"' in only_filed.text and f'href="/cases/{ids[0]}"' not in only_filed.text
    bad = client.get("/cases?from=yesterday")
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.text


def test_my_tasks_per_role(client, tx, login):
    worker = _worker(tx)
    reported = make_case(worker)
    handled = make_case(worker, "handled")
    tx.commit()
    login("hongqi")
    tasks = client.get("/tasks").text
    assert f'href="/cases/{reported.id}"' in tasks and f'href="/cases/{handled.id}"' in tasks
    client.post("/logout")
    login("worker")
    tasks = client.get("/tasks").text
    assert f'href="/cases/{handled.id}"' in tasks and f'href="/cases/{reported.id}"' not in tasks


def test_case_outside_scope_is_404(client, tx, login, make_user):
    incident = make_case(_worker(tx))
    tx.commit()
    other = make_user("secretary", "610202002001")
    login(other.username)
    assert client.get(f"/cases/{incident.id}").status_code == 404


def test_report_form_has_the_geolocation_button(client, login):
    login("worker")
    page = client.get("/incidents/new")
    assert 'id="geolocate"' in page.text and "js/report_form.js" in page.text  # the phone's form (issue 19)
