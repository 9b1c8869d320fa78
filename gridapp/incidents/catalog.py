"""Administration of the closed loop's reference data: category rules (level, deadline hours,
responsible department), departments (专业部门) and their handlers. Admin only; one
transaction per call; bad input raises BadInput naming the field."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..core import params as p
from ..core.errors import Forbidden
from ..extensions import db
from ..models import AdminArea, CategoryRule, Department, DepartmentMember, User
from .reports import leaf_categories
from .rules import CATEGORY_LEVELS, MAX_DEADLINE_HOURS


def _admin(user: User) -> None:
    if user.role != "admin":
        raise Forbidden(_("只有系统管理员可以维护类别和专业部门"), code="admin_only")


def rules() -> dict[str, CategoryRule]:
    """Category rules by category code."""
    return {r.category_code: r for r in db.session.scalars(select(CategoryRule))}


def set_category_rule(user: User, category_code, level, deadline_hours, department_code=None) -> CategoryRule:
    """Create or replace the rule of a leaf category: level (简易/一般/突出/重大), deadline in calendar
    hours from filing (1–8760), optional responsible department."""
    _admin(user)
    if category_code not in {c.code for c in leaf_categories()}:
        raise p.bad("category_code", _("事件类别 %(code)s 不存在或不是末级类别", code=repr(category_code)),
                    "invalid_category")
    level = p.choice(level, "level", CATEGORY_LEVELS, _("等级必须是 简易、一般、突出 或 重大"))
    hours = p.integer(deadline_hours, "deadline_hours", 1, MAX_DEADLINE_HOURS, _("处置时限必须是 1 到 8760 小时"))
    department_code = p.text(department_code, "department_code", 32, required=False)
    if department_code and db.session.get(Department, department_code) is None:
        raise p.bad("department_code", _("专业部门 %(code)s 不存在", code=repr(department_code)), "invalid_department")
    rule = db.session.get(CategoryRule, category_code) or CategoryRule(category_code=category_code)
    rule.level, rule.deadline_hours, rule.department_code = level, hours, department_code or None
    db.session.add(rule)
    db.session.commit()
    return rule


def create_department(user: User, code, name, district_code) -> Department:
    """Create a department: code (letters, digits, '-', ≤ 32), name, district (6-digit code)."""
    _admin(user)
    message = _("部门代码须为 1–32 位字母、数字或连字符")
    code = p.text(code, "code", 32, message=message)
    if not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in code):
        raise p.bad("code", message)
    name = p.text(name, "name", 100, message=_("请填写部门名称（不超过 100 字）"))
    district_code = p.text(district_code, "district_code", 6, required=False, message=_("区 %(code)s 不存在",
                                                                                     code=repr(district_code)))
    area = db.session.get(AdminArea, district_code) if district_code else None
    if area is None or area.level != "district":
        raise p.bad("district_code", _("区 %(code)s 不存在", code=repr(district_code)), "invalid_district")
    if db.session.get(Department, code) is not None:
        raise p.bad("code", _("部门代码 %(code)s 已存在", code=code), "duplicate_code")
    dept = Department(code=code, name=name, district_code=area.code)
    db.session.add(dept)
    db.session.commit()
    return dept


def set_member(user: User, department_code, username, member: bool = True) -> None:
    """Add (``member=True``) or remove a handler of a department by username."""
    _admin(user)
    dept_code = p.text(department_code, "department_code", 32, required=False)
    dept = db.session.get(Department, dept_code) if dept_code else None
    if dept is None:
        raise p.bad("department_code", _("专业部门 %(code)s 不存在", code=repr(department_code)), "invalid_department")
    name = p.text(username, "handler", 64, required=False)
    handler = db.session.scalar(select(User).where(User.username == name)) if name else None
    if handler is None:
        raise p.bad("handler", _("处置人 %(ref)s 不存在", ref=repr(username)))
    existing = db.session.get(DepartmentMember, (dept.code, handler.id))
    if member and existing is None:
        db.session.add(DepartmentMember(department_code=dept.code, user_id=handler.id))
    elif not member and existing is not None:
        db.session.delete(existing)
    db.session.commit()


def members() -> dict[str, list[User]]:
    """Handlers by department code."""
    out: dict[str, list[User]] = {}
    for m in db.session.scalars(select(DepartmentMember)):
        out.setdefault(m.department_code, []).append(m.user)
    return out
