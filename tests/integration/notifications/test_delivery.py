"""Delivery beyond the app (issue 22): e-mail to a local SMTP server (aiosmtpd, started here) and a
group robot webhook to a local HTTP receiver; status per destination, one retry, nothing twice."""
from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from caseutil import T0
from sqlalchemy import select

from gridapp.core.errors import BadInput
from gridapp.models import Delivery
from gridapp.notifications import channels, delivery
from gridapp.notifications.outbox import write
from gridapp.notifications.rules import RETRY_AFTER, WEBHOOK_HOSTS

LOCAL = ("127.0.0.1",)  # the test's receiver: allowed only where a test says so


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp():
    handler = Inbox()
    with socket.socket() as probe:  # a free port on the loopback (aiosmtpd checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def receiver():
    """A local HTTP receiver of robot messages: answers with the next status of ``plan`` (then 200)."""
    got, plan = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            status = plan.pop(0) if plan else 200
            body = json.dumps({"errcode": 0 if status == 200 else 500, "errmsg": "ok"}).encode()
            self.send_response(status)
            if status == 307:  # a redirect to another path of the same receiver (kept POST)
                self.send_header("Location", "/redirected")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got, plan, f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=test"
    finally:
        server.shutdown()
        server.server_close()


def test_email_and_webhook_deliver_once_with_status_and_one_retry(tx, make_user, smtp, receiver):
    inbox, port = smtp
    got, plan, url = receiver
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_sender": "gridapp@test.invalid",
                "base_url": "https://grid.example.invalid", "webhook_timeout": 5, "smtp_timeout": 5,
                "webhook_hosts": LOCAL}
    user = make_user("worker")
    with pytest.raises(BadInput) as bad:
        channels.choose(user, {"email": "not-an-address"})
    assert bad.value.field == "email"
    with pytest.raises(BadInput) as bad:
        channels.choose(user, {"webhook": "file:///etc/passwd"})
    assert bad.value.field == "webhook"
    assert channels.choose(user, {"email": "handler@test.invalid", "webhook": url}, LOCAL) == {
        "email": "handler@test.invalid", "webhook": url}
    write([user.id], "assigned", "incident", 1, "事件 #1（测试）：派遣，请您办理", "/cases/1", "test:delivery:1", T0)
    plan.append(500)  # the robot fails once
    assert delivery.plan(T0) == 2
    tx.commit()
    assert delivery.send_due(T0, settings) == {"sent": 1, "failed": 0, "retry": 1}
    [(to, mail)] = inbox.messages
    assert to == ["handler@test.invalid"] and "https://grid.example.invalid/cases/1" in mail
    rows = {d.channel: d for d in tx.scalars(select(Delivery).where(Delivery.address.in_(
        ["handler@test.invalid", url])))}
    assert rows["email"].status == "sent" and rows["email"].attempts == 1
    assert rows["webhook"].status == "pending" and rows["webhook"].attempts == 1 and "500" in rows["webhook"].last_error
    assert delivery.send_due(T0 + RETRY_AFTER / 2, settings) == {"sent": 0, "failed": 0, "retry": 0}  # not due yet
    assert delivery.send_due(T0 + RETRY_AFTER, settings) == {"sent": 1, "failed": 0, "retry": 0}  # the one retry
    assert len(got) == 2 and got[-1] == {"msgtype": "text", "text": {
        "content": "事件 #1（测试）：派遣，请您办理\nhttps://grid.example.invalid/cases/1"}}
    tx.expire_all()
    assert rows["webhook"].status == "sent" and rows["webhook"].attempts == 2 and rows["webhook"].last_error is None
    # nothing twice: planning and sending again deliver nothing more
    assert delivery.plan(T0 + timedelta(hours=1)) == 0
    assert delivery.send_due(T0 + timedelta(hours=1), settings) == {"sent": 0, "failed": 0, "retry": 0}
    assert len(inbox.messages) == 1 and len(got) == 2


def test_a_destination_failing_twice_is_in_the_failed_list(tx, make_user, receiver, client, login):
    got, plan, url = receiver
    user = make_user("worker")
    admin = make_user("admin")
    channels.choose(user, {"webhook": url}, LOCAL)
    write([user.id], "overdue", "incident", 2, "事件 #2 已逾期（测试）", "/cases/2", "test:delivery:2", T0)
    plan.extend([503, 503])
    delivery.plan(T0)
    assert delivery.send_due(T0, {"webhook_hosts": LOCAL})["retry"] == 1
    assert delivery.send_due(T0 + RETRY_AFTER, {"webhook_hosts": LOCAL})["failed"] == 1
    assert len(got) == 2  # one attempt and one retry, no more
    failed = [(d.address, d.attempts, d.status) for d, _n, _u in delivery.failed()]
    assert (url, 2, "failed") in failed
    assert delivery.send_due(T0 + 10 * RETRY_AFTER, {}) == {"sent": 0, "failed": 0, "retry": 0}
    login(admin.username)
    page = client.get("/admin/deliveries").text
    assert "事件 #2 已逾期（测试）" in page and url in page
    login(user.username)
    mine = client.get("/notifications/channels").text
    assert 'data-status="failed"' in mine and url in mine


def test_a_webhook_reaches_only_the_allowed_hosts_and_no_redirect(tx, make_user, receiver, client, login):
    got, plan, url = receiver
    user = make_user("worker")
    # by default only the WeCom and DingTalk robots: no internal address, no metadata service
    assert WEBHOOK_HOSTS == ("qyapi.weixin.qq.com", "oapi.dingtalk.com")
    for address in (url, "http://169.254.169.254/latest/meta-data/", "http://localhost:5432/",
                    "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send"):
        with pytest.raises(BadInput) as bad:
            channels.choose(user, {"webhook": address})
        assert bad.value.field == "webhook" and "qyapi.weixin.qq.com" in bad.value.message, address
    assert channels.choose(user, {"webhook": "https://QYAPI.weixin.qq.com/cgi-bin/webhook/send?key=k"}) == {
        "webhook": "https://QYAPI.weixin.qq.com/cgi-bin/webhook/send?key=k"}
    # the page refuses it too, naming the field, and keeps nothing
    login(user.username)
    page = client.get("/notifications/channels").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0] if 'name="csrf_token"' in page else ""
    answer = client.post("/notifications/channels", data={"webhook": url, "email": "", "csrf_token": token})
    assert answer.status_code == 400 and "GRIDAPP_WEBHOOK_HOSTS" in answer.text
    assert channels.chosen(user) == {"webhook": "https://QYAPI.weixin.qq.com/cgi-bin/webhook/send?key=k"}
    # an address chosen while allowed is not called once the host is no longer in the list
    channels.choose(user, {"webhook": url}, LOCAL)
    write([user.id], "overdue", "incident", 3, "事件 #3 已逾期（测试）", "/cases/3", "test:delivery:3", T0)
    delivery.plan(T0)
    assert delivery.send_due(T0, {})["retry"] == 1 and got == []
    row = tx.scalar(select(Delivery).where(Delivery.address == url, Delivery.status == "pending"))
    assert "not allowed" in row.last_error
    # an allowed host's redirect is not followed (a 307 would repeat the POST elsewhere)
    plan.append(307)
    assert delivery.send_due(T0 + RETRY_AFTER, {"webhook_hosts": LOCAL})["failed"] == 1
    assert len(got) == 1
