"""Delivery beyond the app: one interface (:class:`Channel`), e-mail over SMTP and a generic
webhook (WeCom / DingTalk group robot JSON), with a status per destination.

* :func:`plan` gives each new notification one :class:`~gridapp.models.Delivery` per channel its
  user chose (unique per notification and channel: nothing is sent twice);
* :func:`send_due` makes the due attempts: sent → ``sent``; a failure → retried once after
  :data:`~.rules.RETRY_AFTER`, then ``failed`` (the failed-delivery list, :func:`failed`).
  Each attempt's outcome is committed before the next is made.

``settings`` (from the app configuration, README "Jobs"): ``smtp_host``, ``smtp_port``,
``smtp_sender``, ``smtp_timeout`` (s), ``webhook_timeout`` (s), ``webhook_hosts`` (default
:data:`~gridapp.notifications.rules.WEBHOOK_HOSTS`), ``base_url`` (links in messages).
"""
from __future__ import annotations

import json
import smtplib
import urllib.request
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from ..core.clock import utcnow
from ..extensions import db
from ..models import ChannelChoice, Delivery, Notification, User
from .channels import webhook_host
from .rules import MAX_ATTEMPTS, RETRY_AFTER, WEBHOOK_HOSTS

ERROR_MAX = 500


class Channel(Protocol):
    """A destination kind: ``send(address, notification, settings)`` delivers or raises."""

    name: str

    def send(self, address: str, notification: Notification, settings: dict) -> None: ...


def _text(notification: Notification, settings: dict) -> str:
    link = (settings.get("base_url") or "").rstrip("/") + notification.url if notification.url else ""
    return notification.message + (f"\n{link}" if link else "")


class EmailChannel:
    """E-mail over SMTP (``smtp_host``:``smtp_port``, sender ``smtp_sender``; plain text UTF-8)."""

    name = "email"

    def send(self, address: str, notification: Notification, settings: dict) -> None:
        msg = EmailMessage()
        msg["From"] = settings.get("smtp_sender") or "gridapp@localhost"
        msg["To"] = address
        msg["Subject"] = notification.message[:78]
        msg.set_content(_text(notification, settings))
        with smtplib.SMTP(settings.get("smtp_host") or "localhost", int(settings.get("smtp_port") or 25),
                          timeout=float(settings.get("smtp_timeout") or 10)) as smtp:
            smtp.send_message(msg)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed (a 3xx fails the attempt): the allowed host cannot send the
    request on to another one."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class WebhookChannel:
    """A group robot's webhook (WeCom 企业微信 / DingTalk 钉钉 text message: ``{"msgtype": "text",
    "text": {"content": …}}``) on an allowed host (``webhook_hosts``, checked again when sending:
    the list may have changed since the address was chosen), redirects not followed; an HTTP
    error, a refused host or a JSON answer with a non-zero ``errcode`` fails."""

    name = "webhook"

    def send(self, address: str, notification: Notification, settings: dict) -> None:
        host = webhook_host(address)
        if host is None or host not in (settings.get("webhook_hosts") or WEBHOOK_HOSTS):
            raise RuntimeError(f"webhook host {host!r} is not allowed (GRIDAPP_WEBHOOK_HOSTS)")
        body = json.dumps({"msgtype": "text", "text": {"content": _text(notification, settings)}}).encode()
        req = urllib.request.Request(address, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        with _OPENER.open(req, timeout=float(settings.get("webhook_timeout") or 10)) as resp:
            answer = resp.read()
        try:
            errcode = json.loads(answer or b"{}").get("errcode", 0)
        except (ValueError, AttributeError):
            errcode = 0
        if errcode:
            raise RuntimeError(f"webhook answered errcode {errcode}")


CHANNEL_CLASSES: dict[str, type] = {"email": EmailChannel, "webhook": WebhookChannel}


def plan_for(notification: Notification, now: datetime) -> int:
    """One delivery of ``notification`` per channel its user chose (none twice); marks it planned
    (``delivered_at``). Does not commit. Returns how many deliveries were added."""
    added = 0
    for choice in db.session.scalars(select(ChannelChoice).where(ChannelChoice.user_id == notification.user_id)):
        added += len(db.session.execute(insert(Delivery).values(
            notification_id=notification.id, channel=choice.channel, address=choice.address, status="pending",
            attempts=0, next_at=now).on_conflict_do_nothing(constraint="uq_notification_deliveries_once")
            .returning(Delivery.id)).all())
    notification.delivered_at = notification.delivered_at or now
    return added


def plan(now: datetime | None = None) -> int:
    """:func:`plan_for` every notification not planned yet. Does not commit."""
    now = now or utcnow()
    pending = select(Notification).where(Notification.delivered_at.is_(None)).order_by(Notification.id)
    return sum(plan_for(n, now) for n in list(db.session.scalars(pending)))


def send_due(now: datetime | None = None, settings: dict | None = None) -> dict:
    """Attempt every pending delivery due at ``now``; commit after each. Returns {sent, failed,
    retry} counts of this run."""
    now, settings = now or utcnow(), settings or {}
    counts = {"sent": 0, "failed": 0, "retry": 0}
    due = select(Delivery.id).where(Delivery.status == "pending", Delivery.next_at <= now).order_by(Delivery.id)
    for delivery_id in list(db.session.scalars(due)):
        d = db.session.scalar(select(Delivery).where(Delivery.id == delivery_id, Delivery.status == "pending")
                              .with_for_update(skip_locked=True))
        if d is None:  # another worker has it
            continue
        d.attempts += 1
        try:
            CHANNEL_CLASSES[d.channel]().send(d.address, d.notification, settings)
        except Exception as err:  # noqa: BLE001 - any failure of a destination is recorded, never raised
            d.last_error = f"{type(err).__name__}: {err}"[:ERROR_MAX]
            if d.attempts >= MAX_ATTEMPTS:
                d.status = "failed"
                counts["failed"] += 1
            else:
                d.next_at = now + RETRY_AFTER
                counts["retry"] += 1
        else:
            d.status, d.sent_at, d.last_error = "sent", now, None
            counts["sent"] += 1
        db.session.commit()
    return counts


def run(now: datetime | None = None, settings: dict | None = None) -> dict:
    """Plan (one transaction), then send what is due. Returns {planned, sent, failed, retry}."""
    planned = plan(now)
    db.session.commit()
    return {"planned": planned, **send_due(now, settings)}


def failed(limit: int = 200) -> list[tuple[Delivery, Notification, User]]:
    """The failed deliveries, newest first, with their notification and its user."""
    return list(db.session.execute(select(Delivery, Notification, User)
                                   .join(Notification, Notification.id == Delivery.notification_id)
                                   .join(User, User.id == Notification.user_id).where(Delivery.status == "failed")
                                   .order_by(Delivery.id.desc()).limit(limit)).all())


def deliveries_of(user: User, limit: int = 50) -> list[tuple[Delivery, Notification]]:
    """The user's latest deliveries with their notifications (status per destination)."""
    return list(db.session.execute(select(Delivery, Notification)
                                   .join(Notification, Notification.id == Delivery.notification_id)
                                   .where(Notification.user_id == user.id)
                                   .order_by(Delivery.id.desc()).limit(limit)).all())
