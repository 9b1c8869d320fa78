"""The rules of notifications (消息) — the one file to change them.

* **Kinds** (:data:`KINDS`): ``assigned`` (a case dispatched / a notice issued to you),
  ``returned`` (sent back to you: rework after a failed verification, a case returned to the
  office, a failed re-inspection), ``approval`` (a request waits for your decision), ``decided``
  (your request was approved or refused), ``routed`` (a dispute routed to your level: registered,
  escalated, de-escalated), ``escalated`` (a notice's escalation took effect), ``due_soon`` and
  ``overdue`` (the reminder job: the deadline within 24 hours / passed).
* **Whom an action tells** is declared per row of each case kind's table (``notify=`` in
  ``incidents/rules.py``, ``disputes/rules.py``, ``inspections/rules.py``); a side action's request
  always tells the approvers (office users in scope ranked above the requester; administrators are
  not told), a decision its requester. The actor is never told of their own action.
* **Once**: one notification per user and key (``<kind of case>:<id>:<kind>:<audience>:<history
  row>``; reminders: per case, kind and deadline).
* **Delivery beyond the app** (:data:`CHANNELS`): each user chooses channels (e-mail, webhook);
  each notification is handed to each chosen destination once (one delivery row per notification
  and channel); a failed attempt is retried once after :data:`RETRY_AFTER`
  (:data:`MAX_ATTEMPTS` in all), then shown in the failed-delivery list.
* **Live badge**: pages poll the unread count every :data:`POLL_SECONDS` seconds while visible
  (short polling: measured in BENCHMARKS.md).
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

KINDS = ("assigned", "due_soon", "overdue", "returned", "approval", "decided", "routed", "escalated")
KIND_NAMES = {"assigned": _l("新任务"), "due_soon": _l("即将到期"), "overdue": _l("已逾期"), "returned": _l("退回"),
              "approval": _l("待审批"), "decided": _l("审批结果"), "routed": _l("转至本级"),
              "escalated": _l("已升级")}
#: The text of a notification an action causes: key = kind (``decided``: by the decision).
MESSAGES = {"assigned": _l("%(what)s：%(action)s，请您办理"),
            "returned": _l("%(what)s：%(action)s，已退回给您"),
            "approval": _l("%(what)s 申请“%(action)s”%(detail)s，待您审批"),
            "decided:approved": _l("%(what)s 的“%(action)s”申请已批准"),
            "decided:refused": _l("%(what)s 的“%(action)s”申请被驳回"),
            "routed": _l("%(what)s：%(action)s，由您所在层级承办"),
            "escalated": _l("%(what)s：%(action)s已生效")}

#: Delivery channels beyond the in-app centre, with the address each needs.
CHANNELS = ("email", "webhook")
CHANNEL_NAMES = {"email": _l("电子邮件"), "webhook": _l("群机器人（企业微信/钉钉 Webhook）")}
DELIVERY_STATES = ("pending", "sent", "failed")
#: One retry after a failure: two attempts in all, the second after this pause.
MAX_ATTEMPTS = 2
RETRY_AFTER = timedelta(minutes=1)
#: Seconds between two polls of the unread count by an open page.
POLL_SECONDS = 4
ADDRESS_MAX = 200
#: The hosts a webhook may point at (the group robots of WeCom 企业微信 and DingTalk 钉钉): a user's
#: URL never makes the server call anything else (an internal address, the cloud's metadata
#: service). ``GRIDAPP_WEBHOOK_HOSTS`` replaces the list (e.g. an intranet relay).
WEBHOOK_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")
#: The kinds of work on 我的待办.
WORK_KINDS = {"incident": _l("事件"), "dispute": _l("矛盾纠纷"), "notice": _l("整改通知书")}
