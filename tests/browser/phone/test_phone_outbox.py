"""The grid worker's phone (issue 19), in a 390×844 Chromium context with service workers: reports
filed offline are kept on the device, survive an offline reload and reach the server exactly once
when the connection returns — also when an answer is lost after the server committed; a point
outside the worker's grids is refused before it is queued; photos arrive compressed (≤ 2000 px,
orientation applied) with their EXIF position offered.

The worker and the data are this module's own: a fictitious worker of a grid in a township no
other test counts, reporting in a category no other test uses (the browser tests' writes stay)."""
from __future__ import annotations

import io

import pytest
from caseutil import jpeg_bytes
from conftest import login
from PIL import Image
from sqlalchemy import func, select

from gridapp.accounts.service import hash_password
from gridapp.extensions import db
from gridapp.models import Grid, GridAssignment, Incident, IncidentEvent, Photo, User

PHONE = {"width": 390, "height": 844}
USED_BY_TESTS = {"0101", "0102", "0103", "0115", "0505", "0599"}


@pytest.fixture(scope="module")
def phone_worker(app):
    """A fictitious worker (phone-worker) of the first grid of the last gridded community, with a
    point inside it, a point in the neighbouring grid and a category no other test reports in."""
    with app.app_context():
        community = db.session.scalar(select(func.max(Grid.community_code)))
        rows = db.session.execute(select(Grid.code, func.ST_X(func.ST_PointOnSurface(Grid.geom)),
                                         func.ST_Y(func.ST_PointOnSurface(Grid.geom)))
                                  .where(Grid.community_code == community).order_by(Grid.code).limit(2)).all()
        user = db.session.scalar(select(User).where(User.username == "phone-worker"))
        if user is None:
            user = User(username="phone-worker", display_name="手机测试网格员（虚构）", role="worker",
                        password_hash=hash_password("test-password-1"))
            user.assignments = [GridAssignment(grid_code=rows[0][0], is_primary=True)]
            db.session.add(user)
            db.session.commit()
        from gridapp.incidents import reports
        codes = [c.code for c in reports.leaf_categories()]
        category = [c for c in reversed(codes) if c not in USED_BY_TESTS][1]
        db.session.remove()
    return {"username": "phone-worker", "grid": rows[0][0], "inside": rows[0][1:], "other": rows[1][1:],
            "category": category}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(service_workers="allow", viewport=PHONE, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", permissions=["geolocation"])
    aborted = []

    def local_only(route):
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()
    context.route("**/*", local_only)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield context, page, errors
    assert aborted == []
    context.close()


def _open_form(page, live_server, username):
    login(page, live_server, username, "/incidents/new")
    page.wait_for_url("**/incidents/new")
    page.wait_for_function("() => window.gridappPhone && window.gridappPhone.warmed && window.gridappMap"
                           " && window.gridappMap.ready")


def _fill(page, category, text, point=None):
    page.select_option("select[name=category_code]", category)
    page.fill("textarea[name=description]", text)
    if point:
        page.fill("input[name=lon]", f"{point[0]:.6f}")
        page.fill("input[name=lat]", f"{point[1]:.6f}")
        page.dispatch_event("input[name=lon]", "change")


def _photo(name, data):
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def _rotated_jpeg() -> bytes:
    """400×200 pixels stored, EXIF orientation 6 (shown rotated: 200×400)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.new("RGB", (400, 200), "green").save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def _queued(page) -> int:
    return int(page.inner_text("#outbox [data-outbox-count]"))


def _incidents(app, prefix):
    """{description: (grid_code, [(width, height) of its photos], GPS accuracy m)} of the cases whose
    text starts so."""
    with app.app_context():
        rows = db.session.execute(select(Incident.description, Incident.grid_code, IncidentEvent.attachments,
                                         Incident.location_accuracy_m)
                                  .join(IncidentEvent, IncidentEvent.incident_id == Incident.id)
                                  .where(Incident.description.startswith(prefix), IncidentEvent.action == "report")
                                  ).all()
        out = {}
        for text, grid, refs, accuracy in rows:
            sizes = [db.session.execute(select(Photo.width, Photo.height).where(Photo.sha256 == r[6:])).one()
                     for r in refs or []]
            out[text] = (grid, [tuple(s) for s in sizes], accuracy)
        db.session.remove()
    return out


@pytest.mark.browser
def test_offline_reports_survive_a_reload_and_arrive_once(app, live_server, phone, phone_worker):
    context, page, errors = phone
    w = phone_worker
    _open_form(page, live_server, w["username"])
    context.set_offline(True)
    # 1: a 4000×3000 camera photo whose EXIF position is offered and used
    _fill(page, w["category"], "手机离线上报一（虚构）")
    page.set_input_files("#photos", [_photo("big.jpg", jpeg_bytes((4000, 3000), gps=w["inside"]))])
    page.wait_for_selector("#photo-gps:not([hidden])")
    page.click("#photo-gps")
    page.click("form#incident-form button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#outbox-list li.outbox-item').length === 1")
    # 2: a photo taken with the phone turned (EXIF orientation), the point typed in
    _fill(page, w["category"], "手机离线上报二（虚构）", w["inside"])
    page.set_input_files("#photos", [_photo("turned.jpg", _rotated_jpeg())])
    page.click("form#incident-form button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#outbox-list li.outbox-item').length === 2")
    # 3: the device's position, ±120 m: confirmed after the warning
    context.set_geolocation({"longitude": w["inside"][0], "latitude": w["inside"][1], "accuracy": 120})
    _fill(page, w["category"], "手机离线上报三（虚构）")
    page.click("#geolocate")
    page.wait_for_function("() => document.querySelector('input[name=lon]').value !== ''")
    page.set_input_files("#photos", [_photo("small.jpg", jpeg_bytes((640, 480), color="blue"))])
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.click("form#incident-form button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#outbox-list li.outbox-item').length === 3")
    assert dialogs and "120" in dialogs[0]
    assert _queued(page) == 3 and page.inner_text("header.top a[data-outbox-badge] .badge") == "3"
    assert _incidents(app, "手机离线上报") == {}

    page.reload()  # still offline: the service worker serves the page, the outbox is on the device
    page.wait_for_selector("#outbox-list li.outbox-item")
    assert page.locator("#outbox-list li.outbox-item").count() == 3
    assert "待同步" in page.inner_text("#outbox")
    page.goto(f"{live_server}/")  # the worker's home, offline too: what is theirs
    page.wait_for_function("() => document.getElementById('count-queued').textContent === '3'")
    assert page.locator("#report-action").is_visible()
    page.goto(f"{live_server}/incidents/new")
    page.wait_for_selector("#outbox-list li.outbox-item")

    context.set_offline(False)  # the online event sends them
    page.wait_for_function("() => document.querySelectorAll('#outbox-list li.outbox-item').length === 0",
                           timeout=20000)
    arrived = _incidents(app, "手机离线上报")
    assert sorted(arrived) == ["手机离线上报一（虚构）", "手机离线上报三（虚构）", "手机离线上报二（虚构）"]
    assert {grid for grid, _photos, _accuracy in arrived.values()} == {w["grid"]}
    assert [arrived[t][2] for t in sorted(arrived)] == [None, 120, None]  # only the device's fix has one
    big = arrived["手机离线上报一（虚构）"][1]
    assert len(big) == 1 and max(big[0]) <= 2000 and big[0] == (2000, 1500)
    assert arrived["手机离线上报二（虚构）"][1] == [(200, 400)]  # orientation applied, EXIF gone
    assert arrived["手机离线上报三（虚构）"][1] == [(640, 480)]
    assert errors == []


@pytest.mark.browser
def test_an_answer_lost_after_the_commit_creates_no_duplicate(app, live_server, phone, phone_worker):
    context, page, errors = phone
    w = phone_worker
    _open_form(page, live_server, w["username"])
    lost = []

    def lose_first_answer(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().status)  # the server commits and answers; the phone never hears it
            route.abort("connectionreset")
        else:
            route.fallback()
    context.route("**/api/v1/incidents", lose_first_answer)
    _fill(page, w["category"], "手机中断同步（虚构）", w["inside"])
    page.click("form#incident-form button[type=submit]")
    page.wait_for_function("() => document.querySelector('#outbox-list li.outbox-item .outbox-error')")
    assert lost == [201]
    assert len(_incidents(app, "手机中断同步")) == 1
    replays = []
    page.on("response", lambda r: r.url.endswith("/api/v1/incidents")
            and replays.append(r.headers.get("idempotent-replayed")))
    page.click("#outbox-send")
    page.wait_for_function("() => document.querySelectorAll('#outbox-list li.outbox-item').length === 0")
    assert replays == ["true"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Incident)
                                 .where(Incident.description == "手机中断同步（虚构）")) == 1
        db.session.remove()
    assert errors == []


@pytest.mark.browser
def test_a_point_outside_the_workers_grids_is_refused_before_queueing(live_server, phone, phone_worker):
    context, page, errors = phone
    w = phone_worker
    _open_form(page, live_server, w["username"])
    _fill(page, w["category"], "手机网格外（虚构）", w["other"])
    assert "不在您负责的网格内" in page.inner_text("#phone-location")
    page.click("form#incident-form button[type=submit]")
    assert "不在您负责的网格内" in page.inner_text("#outbox-status")
    assert page.evaluate("window.gridappOutbox.drafts().then(d => d.length)") == 0
    assert _queued(page) == 0
    _fill(page, w["category"], "手机网格外（虚构）", w["inside"])
    assert w["grid"] in page.inner_text("#phone-location")
    assert errors == []


@pytest.mark.browser
def test_a_refusal_stays_on_the_report_with_the_reason_until_edited_or_deleted(app, live_server, phone, phone_worker):
    context, page, errors = phone
    w = phone_worker
    _open_form(page, live_server, w["username"])
    # a category the server no longer has (withdrawn since the page was kept): the server refuses
    page.evaluate("""() => { const o = document.createElement('option');
                             o.value = '9998'; o.textContent = '9998 已撤销';
                             document.querySelector('select[name=category_code]').appendChild(o); }""")
    _fill(page, "9998", "手机被拒（虚构）", w["inside"])
    page.click("form#incident-form button[type=submit]")
    page.wait_for_selector("#outbox-list li.outbox-item.failed .outbox-error")
    assert "9998" in page.inner_text("#outbox-list li.failed .outbox-error")  # the server's reason
    page.click("#outbox-list li.failed button[data-act=edit]")
    page.wait_for_function("() => document.querySelector('textarea[name=description]').value !== ''")
    assert page.input_value("textarea[name=description]") == "手机被拒（虚构）"
    page.select_option("select[name=category_code]", w["category"])
    page.fill("textarea[name=description]", "手机被拒后改正（虚构）")
    page.click("form#incident-form button[type=submit]")
    page.wait_for_url("**/incidents")  # sent: the list of the worker's reports, as the form always did
    assert set(_incidents(app, "手机被拒")) == {"手机被拒后改正（虚构）"}

    page.goto(f"{live_server}/incidents/new")
    context.set_offline(True)
    _fill(page, w["category"], "手机删除（虚构）", w["inside"])
    page.click("form#incident-form button[type=submit]")
    page.wait_for_selector("#outbox-list li.outbox-item")
    page.once("dialog", lambda d: d.accept())
    page.click("#outbox-list li.outbox-item button[data-act=delete]")
    page.wait_for_function("() => document.querySelectorAll('#outbox-list li.outbox-item').length === 0")
    context.set_offline(False)
    assert page.evaluate("window.gridappOutbox.sync(true).then(() => window.gridappOutbox.drafts())"
                         ".then(d => d.length)") == 0
    assert _incidents(app, "手机删除") == {}
    assert errors == []
