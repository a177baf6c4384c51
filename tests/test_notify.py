"""Delivery through apprise to a real local SMTP server (aiosmtpd) and a local webhook receiver."""

from __future__ import annotations

import base64
import email
import io
import json
import logging
import socket
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from o365lic.cli import main
from o365lic.config import load_settings
from o365lic.notify import split_targets
from o365lic.store import Store
from tests.feature_tenants import Lic, running, sync_into, tenant

SECRET = "Sup3rS3cretPassw0rd"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Mailbox, int]]:
    box = _Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict], int]]:
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append({"path": self.path, "json": json.loads(self.rfile.read(length) or b"{}")})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def sim():
    with running([tenant("Ærø Consulting", [Lic("SPE_E3", 10, 12)]), tenant("Quiet Co", [Lic("SPB", 4, 4)])]) as s:
        yield s


@pytest.fixture
def cli(sim, store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch):
    sync_into(store, sim, db_path)
    monkeypatch.setenv("O365LIC_DB", str(db_path))
    monkeypatch.setenv("O365LIC_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("O365LIC_CLIENT_SECRET", sim.client_secret)
    monkeypatch.delenv("O365LIC_NOTIFY_URLS", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()
    return run


def test_a_sent_email_arrives_with_the_report_attached(cli, smtp, monkeypatch: pytest.MonkeyPatch) -> None:
    box, port = smtp
    monkeypatch.setenv("O365LIC_NOTIFY_URLS",
                       f"mailto://127.0.0.1:{port}?from=reports@msp.example&to=customer@example.com")
    code, _out, err = cli("report", "send", "--organization", "ærø consulting")
    assert code == 0, err
    assert len(box.messages) == 1 and box.envelopes[0] == ("reports@msp.example", ["customer@example.com"])
    message = box.messages[0]
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "Microsoft 365 licenses: Ærø Consulting"
    parts = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1 and parts[0].get_filename() == "r-consulting-licenses.pdf"
    pdf = parts[0].get_payload(decode=True)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Ærø Consulting" in text and "Active licenses: 10" in text and "Over-assigned: 2" in text
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert b"Active licenses: 10" in body


def test_alerts_and_every_report_reach_a_webhook(cli, webhook) -> None:
    received, port = webhook
    code, out, err = cli("report", "send", "--alerts", "--to", f"json://127.0.0.1:{port}/hook")
    assert code == 0, err
    assert len(received) == 1 and received[0]["path"] == "/hook"
    payload = received[0]["json"]
    assert payload["title"] == "o365lic: 1 alert needs attention"
    assert "Over-assigned: Ærø Consulting" in payload["message"] and "Quiet Co" not in payload["message"]
    code, out, err = cli("report", "send", "--all", "--to", f"json://127.0.0.1:{port}/hook")
    assert code == 0 and "2 reports sent" in out
    attached = [a for r in received[1:] for a in r["json"]["attachments"]]
    assert sorted(a["filename"] for a in attached) == ["quiet-co-licenses.pdf", "r-consulting-licenses.pdf"]
    assert all(base64.b64decode(a["base64"]).startswith(b"%PDF") for a in attached)


def test_a_failed_delivery_exits_1_and_never_shows_the_url(cli, smtp, caplog: pytest.LogCaptureFixture) -> None:
    box, port = smtp
    dead = _free_port()
    caplog.set_level(logging.DEBUG)
    code, out, err = cli("report", "send", "--organization", "Quiet Co",
                         "--to", f"json://hook:{SECRET}@127.0.0.1:{dead}/x",
                         "--to", f"mailto://127.0.0.1:{port}?from=a@msp.example&to=b@example.com")
    assert code == 1
    assert "delivery to target 1 (json) failed" in err
    assert len(box.messages) == 1                                   # the other target still got it
    assert SECRET not in out + err + caplog.text


def test_no_target_or_a_bad_one_is_a_usage_error(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = cli("report", "send", "--organization", "Quiet Co")
    assert code == 2 and "O365LIC_NOTIFY_URLS" in err
    code, _, err = cli("report", "send", "--alerts", "--to", f"nosuchscheme://{SECRET}@example.com")
    assert code == 2 and "target 1" in err and SECRET not in err


def test_the_setting_is_a_secret_and_splits_into_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings({"O365LIC_NOTIFY_URLS": f"mailtos://u:{SECRET}@mail.example?to=a@b.example, "
                                                     "json://127.0.0.1:9/x\nslack://T/B/C"})
    assert SECRET not in repr(settings)
    assert split_targets(settings.notify_urls) == [f"mailtos://u:{SECRET}@mail.example?to=a@b.example",
                                                   "json://127.0.0.1:9/x", "slack://T/B/C"]
