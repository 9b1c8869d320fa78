"""The rules of notifications (消息提醒) — the one file to change them.

Kinds (:data:`KINDS`): ``assigned`` (a new assignment), ``due_soon`` (the deadline is within
:data:`gridapp.incidents.rules.DUE_SOON`, not yet passed), ``overdue`` (the deadline passed, still
open), ``returned`` (returned for rework), ``approval`` (an approval is wanted from you).

Recipients: of a notice — the grid workers of the place's grid and the secretary of its community;
of an incident — its handler or the members of its department (assignment, due, rework) and the
secretary of its community (due, overdue); approvals — the office users in scope ranked above the
requester (:data:`gridapp.core.scope.RANK`; administrators are not notified).

Delivery beyond the in-app centre: the channels named in the ``GRIDAPP_REMINDER_CHANNELS``
setting (default :data:`DEFAULT_CHANNELS`).
"""
from __future__ import annotations

KINDS = ("assigned", "due_soon", "overdue", "returned", "approval")
DEFAULT_CHANNELS = "log"
