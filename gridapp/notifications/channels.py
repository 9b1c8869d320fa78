"""Each user's channels beyond the app (e-mail, a group robot's webhook): choosing them."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..core import params as p
from ..extensions import db
from ..models import ChannelChoice, User
from .rules import ADDRESS_MAX, CHANNELS, WEBHOOK_HOSTS

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def chosen(user: User) -> dict[str, str]:
    """The user's channels: {channel: address}."""
    return {c.channel: c.address for c in db.session.scalars(select(ChannelChoice)
                                                            .where(ChannelChoice.user_id == user.id))}


def webhook_host(address: str) -> str | None:
    """The host of a webhook URL (lower case), None unless an http(s) URL with a host."""
    parts = urlsplit(address)
    return parts.hostname if parts.scheme in ("http", "https") and parts.hostname else None


def check_address(channel: str, value, webhook_hosts=WEBHOOK_HOSTS) -> str | None:
    """The address of ``channel`` (empty: the channel is not chosen): an e-mail address, or an
    http(s) URL for a webhook on one of ``webhook_hosts``. Raises BadInput naming the field (the
    channel's name)."""
    address = p.text(value, channel, ADDRESS_MAX, required=False)
    if not address:
        return None
    if channel == "email" and not EMAIL.match(address):
        raise p.bad("email", _("电子邮件地址格式不正确"))
    if channel == "webhook":
        host = webhook_host(address)
        if host is None:
            raise p.bad("webhook", _("Webhook 地址必须是 http:// 或 https:// 开头的网址"))
        if host not in webhook_hosts:
            raise p.bad("webhook", _("Webhook 地址只能指向 %(hosts)s（GRIDAPP_WEBHOOK_HOSTS）",
                                     hosts="、".join(webhook_hosts)))
    return address


def choose(user: User, data: dict, webhook_hosts=WEBHOOK_HOSTS) -> dict[str, str]:
    """Set the user's channels from ``data`` ({email: address or "", webhook: URL or ""}; a
    channel left empty is not chosen; a webhook only on ``webhook_hosts``); one transaction.
    Returns them. Raises BadInput."""
    data = data if isinstance(data, dict) else {}
    addresses = {channel: check_address(channel, data.get(channel), webhook_hosts) for channel in CHANNELS}
    db.session.execute(delete(ChannelChoice).where(ChannelChoice.user_id == user.id))
    for channel, address in addresses.items():
        if address:
            db.session.add(ChannelChoice(user_id=user.id, channel=channel, address=address))
    db.session.commit()
    return chosen(user)
