"""The rules of reminders (提醒) — the one file to change them.

Kinds written by the reminder job: :data:`KINDS` (``due_soon``: the deadline is within
:data:`gridapp.incidents.rules.DUE_SOON`, not yet passed; ``overdue``: the deadline passed, still
open) — once per case, kind and deadline. Every other notification is written by the action that
causes it (:mod:`gridapp.notifications.rules`).

Delivery of old-style log lines: the channels named in the ``GRIDAPP_REMINDER_CHANNELS`` setting
(default :data:`DEFAULT_CHANNELS`); e-mail and webhooks are chosen per user
(:mod:`gridapp.notifications.delivery`).
"""
from __future__ import annotations

KINDS = ("due_soon", "overdue")
DEFAULT_CHANNELS = "log"
#: How often the periodic job runs (cron syntax, UTC): every minute.
SCHEDULE = "* * * * *"
