"""The pages of places, inspections, notices, figures and notifications (server-rendered)."""
from __future__ import annotations

import io
import re

from caseutil import grid_point
from sqlalchemy import func, select

from gridapp.models import Place, RectificationNotice
from gridapp.places import service as places

COMMUNITY, G1 = "610202002001", "610202002001001"


def test_record_inspection_issue_notice_and_act_through_pages(client, tx, make_user, login, csrf_of):
    sec = make_user("secretary", COMMUNITY)
    worker = make_user("worker", COMMUNITY, grids=[G1])
    lon, lat = grid_point(G1)
    place = places.create(sec, {"name": "测试网吧（虚构）", "type": "网吧", "lon": lon, "lat": lat})
    login(sec.username)
    page = client.get("/places")
    assert page.status_code == 200 and "测试网吧（虚构）" in page.text and "places_map.js" in page.text
    form = client.get(f"/inspections/new?place_id={place.id}")
    assert "未接纳未成年人" in form.text  # the checklist of the type
    assert 'type="radio"' in form.text and "checked" not in form.text  # nothing answered by default
    data = {"csrf_token": csrf_of(form.text), "kind": "ad_hoc", "members": "张某，李某", "vehicle_trips": "1",
            "place_id": str(place.id), f"check-{place.id}-1": "fail", f"findings-{place.id}": "接纳未成年人上网",
            f"notice-{place.id}": "on", f"requirements-{place.id}": "立即整改", f"deadline-{place.id}": "2099-01-31"}
    refused = client.post(f"/inspections/new?place_id={place.id}", data=data)  # items 0 and 2 unanswered
    assert refused.status_code == 200 and "检查项“营业执照、网络文化经营许可证齐全”未作答" in refused.text
    assert 'value="fail" required checked' in refused.text and "接纳未成年人上网</textarea>" in refused.text
    assert tx.scalar(select(func.count()).select_from(RectificationNotice)
                     .where(RectificationNotice.place_id == place.id)) == 0
    resp = client.post(f"/inspections/new?place_id={place.id}",
                       data={**data, f"check-{place.id}-0": "pass", f"check-{place.id}-2": "na"})
    flashes = re.findall(r"class=\"flash[^>]*>([^<]*)", resp.text)
    assert resp.status_code == 302 and "/inspections/" in resp.headers["Location"], flashes
    tx.expire_all()
    notice = tx.scalar(select(RectificationNotice).where(RectificationNotice.place_id == place.id))
    page = client.get(f"/notices/{notice.id}")
    assert notice.number in page.text and "立即整改" in page.text and "接纳未成年人上网" in page.text
    resp = client.post(f"/notices/{notice.id}/act", data={"csrf_token": csrf_of(page.text), "action": "reinspect",
                                                          "version": str(notice.version), "passed": "false"})
    assert resp.status_code == 302
    tx.expire_all()
    assert tx.get(RectificationNotice, notice.id).status == "failed"
    timeline = client.get(f"/places/{place.id}").text
    assert re.search(r'data-action="reinspect"', timeline) and "notice_issued" in timeline
    login(worker.username)  # the place's grid worker was told of the notice and of the failed re-inspection
    told = client.get("/notifications").text
    assert "新下发，请您办理" in told and "复查不合格，已退回给您" in told and notice.number in told
    login(sec.username)
    figures = client.get(f"/inspection-figures?level=community&code={COMMUNITY}")
    assert figures.status_code == 200 and 'data-field="notices_issued">1<' in figures.text
    xlsx = client.get(f"/inspection-figures?level=community&code={COMMUNITY}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_bad_places_file_on_the_page_shows_rows_and_writes_nothing(client, tx, make_user, login, csrf_of):
    sec = make_user("secretary", COMMUNITY)
    login(sec.username)
    page = client.get("/places")
    before = tx.scalar(select(func.count()).select_from(Place))
    lon, lat = grid_point(G1)
    resp = client.post("/places/new", data={"csrf_token": csrf_of(page.text), "name": "测试书店（虚构）",
                                            "type": "shudian", "lon": str(lon), "lat": str(lat), "risk_level": "low"})
    assert resp.status_code == 302 and "/places/" in resp.headers["Location"]
    assert tx.scalar(select(func.count()).select_from(Place)) == before + 1
    before += 1
    bad = "名称,类型,经度,纬度\n测试（虚构）,不存在的类型,109.0,35.0\n".encode()
    resp = client.post("/places/import", data={"csrf_token": csrf_of(page.text), "file": (io.BytesIO(bad), "p.csv")},
                       follow_redirects=True)
    assert "第 2 行“类型”" in resp.text
    assert tx.scalar(select(func.count()).select_from(Place)) == before
