"""Admin screens of category rules, departments and handlers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from caseutil import T0, make_case
from sqlalchemy import select

from gridapp.errors import BadInput, Forbidden
from gridapp.incidents import catalog, workflow
from gridapp.models import CategoryRule, Department, DepartmentMember, Incident, User


def test_admin_page_sets_rule_and_filing_uses_it(client, tx, login, csrf_of, make_user):
    login("admin")
    page = client.get("/admin/categories")
    assert page.status_code == 200 and 'id="rules"' in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "op": "rule", "category_code": "0102", "level": "突出", "deadline_hours": "12",
            "department_code": "DEMO-HW"}
    resp = client.post("/admin/categories", data=form)
    assert resp.status_code == 302
    rule = tx.get(CategoryRule, "0102")
    assert (rule.level, rule.deadline_hours, rule.department_code) == ("突出", 12, "DEMO-HW")
    bad = client.post("/admin/categories", data={"csrf_token": token, "op": "rule", "category_code": "01",
                                                 "level": "一般", "deadline_hours": "12"})
    assert bad.status_code == 400 and "末级类别" in bad.text
    worker = tx.scalar(select(User).where(User.username == "worker"))
    secretary = tx.scalar(select(User).where(User.username == "hongqi"))
    incident = make_case(worker, "accepted")
    tx.commit()
    workflow.perform(secretary, incident.id, "file", now=T0)
    assert incident.deadline_at == T0 + timedelta(hours=12)
    # a department nobody works in is refused: the case would wait for ever, seen by no handler
    with pytest.raises(BadInput) as refused:
        workflow.perform(secretary, incident.id, "dispatch", {}, now=T0)
    assert (refused.value.code, refused.value.field) == ("department_without_handler", "department_code")
    assert tx.get(Incident, incident.id).status == "filed" and incident.department_code is None
    handler = make_user("handler")  # 承办人: acts on what is dispatched to their department
    tx.add(DepartmentMember(department_code="DEMO-HW", user_id=handler.id))
    tx.commit()
    workflow.perform(secretary, incident.id, "dispatch", {}, now=T0)   # the rule's department by default
    assert incident.department_code == "DEMO-HW"


def test_departments_and_handlers(client, tx, login, csrf_of, make_user):
    admin = tx.scalar(select(User).where(User.username == "admin"))
    catalog.create_department(admin, "TEST-1", "测试单位（虚构）", "610202")
    with pytest.raises(BadInput):
        catalog.create_department(admin, "TEST-1", "重复", "610202")
    tx.rollback()
    with pytest.raises(BadInput):
        catalog.create_department(admin, "bad code!", "x", "610202")
    tx.rollback()
    handler = make_user("worker")
    catalog.set_member(admin, "TEST-1", handler.username)
    assert tx.get(DepartmentMember, ("TEST-1", handler.id)) is not None
    catalog.set_member(admin, "TEST-1", handler.username, member=False)
    assert tx.get(DepartmentMember, ("TEST-1", handler.id)) is None
    assert tx.get(Department, "TEST-1").name == "测试单位（虚构）"
    with pytest.raises(Forbidden):
        catalog.set_category_rule(handler, "0102", "一般", 24)
    login("hongqi")
    assert client.get("/admin/categories").status_code == 403
