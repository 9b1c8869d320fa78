"""Who sees which incident (the read rule of a case), as SQL conditions on :class:`Incident`.

A case is visible to the roles whose scope holds it (:func:`gridapp.core.scope.incident_filter`),
to the handler and department members it is dispatched to, and to its reporter. The same rule
decides which photos a user may view or attach (:func:`gridapp.incidents.photos.readable`).
"""
from __future__ import annotations

from sqlalchemy import or_, select

from ..core.scope import incident_filter
from ..models import DepartmentMember, Incident, User


def assigned_filter(user: User, incident=Incident):
    """SQL condition on Incident (or ``incident``, an alias of it): dispatched to the user or to
    one of their departments."""
    departments = select(DepartmentMember.department_code).where(DepartmentMember.user_id == user.id)
    return or_(incident.handler_id == user.id, incident.department_code.in_(departments))


def visible_filter(user: User, incident=Incident):
    """SQL condition on Incident (or ``incident``, an alias of it, e.g. a subquery of incidents):
    in the user's scope, assigned to them, or reported by them."""
    return or_(incident_filter(user, incident), assigned_filter(user, incident), incident.reporter_id == user.id)
