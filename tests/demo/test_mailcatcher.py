"""The demo mail catcher: SMTP in, .eml files and an index out (alerts/mailbox.py's format), read
back by list_messages."""

from __future__ import annotations

import asyncio
import json
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib
import pytest

from alerts.mailbox import list_messages
from seamwatch.demo import (
    MailCatcher,
    PortInUseError,
    mail_folder,
    serve_mailcatcher,
)
from seamwatch.demo.mailcatcher import start_mailcatcher


def _message(subject: str, text: str = "plain body", html: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "seamwatch <alerts@example.com>"
    message["To"] = "oncall@example.com, lead@example.com"
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="seamwatch.test")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    with start_mailcatcher(tmp_path / "mail", "127.0.0.1", 0) as running:
        yield running


def test_catches_a_message(catcher: MailCatcher) -> None:
    sent = _message("[FIRING] sandbox/list-customers", "It broke.",
                    "<p>It <b>broke</b>.</p>")
    with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as smtp:
        smtp.send_message(sent, to_addrs=["oncall@example.com", "lead@example.com",
                                           "hidden@example.com"])

    files = list(catcher.folder.glob("*.eml"))
    assert len(files) == 1
    assert sent["Message-ID"].strip("<>").split("@")[0] in files[0].name
    index = [json.loads(line) for line in
             (catcher.folder / "messages.jsonl").read_text().splitlines()]
    assert len(index) == 1
    entry = index[0]
    assert entry["subject"] == "[FIRING] sandbox/list-customers"
    assert entry["from"] == "alerts@example.com"
    assert entry["to"] == ["oncall@example.com", "lead@example.com", "hidden@example.com"]
    assert entry["message_id"] == sent["Message-ID"]
    assert entry["path"] == files[0].name
    assert "T" in entry["time"]

    [caught] = list_messages(catcher.folder)
    assert caught.subject == "[FIRING] sandbox/list-customers"
    assert caught.from_ == "seamwatch <alerts@example.com>"
    assert caught.to == ["oncall@example.com", "lead@example.com"]
    assert caught.recipients[-1] == "hidden@example.com"
    assert caught.text.strip() == "It broke."
    assert "<b>broke</b>" in caught.html
    assert caught.date is not None
    assert caught.message_id == sent["Message-ID"]
    assert caught.path == files[0]
    assert catcher.messages() == [caught]


def test_newest_first_and_limit_and_auth(catcher: MailCatcher) -> None:
    with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as smtp:
        smtp.login("anyone", "anything")  # the catcher takes any credentials, without TLS
        for n in range(3):
            smtp.send_message(_message(f"message {n}"))
    subjects = [m.subject for m in list_messages(catcher.folder)]
    assert subjects == ["message 2", "message 1", "message 0"]
    assert [m.subject for m in list_messages(catcher.folder, limit=1)] == ["message 2"]
    assert list_messages(catcher.folder)[0].html == ""


def test_message_without_message_id(catcher: MailCatcher) -> None:
    raw = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: bare\r\n\r\nhello\r\n"
    with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as smtp:
        smtp.sendmail("a@example.com", ["b@example.com"], raw)
        smtp.sendmail("a@example.com", ["b@example.com"], raw)
    caught = list_messages(catcher.folder)
    assert [m.subject for m in caught] == ["bare", "bare"]
    assert caught[0].text.strip() == "hello"
    assert caught[0].date is None
    assert len({m.path for m in caught}) == 2


def test_mail_folder_is_under_the_data_folder(tmp_path: Path) -> None:
    assert mail_folder(tmp_path) == tmp_path / "mail"


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(PortInUseError) as caught:
            start_mailcatcher(tmp_path, "127.0.0.1", port,
                              hint="set SEAMWATCH_DEMO_SMTP_PORT to use another")
    assert f"port {port}" in str(caught.value)
    assert "mail catcher" in str(caught.value)
    assert "SEAMWATCH_DEMO_SMTP_PORT" in str(caught.value)


async def test_serve_inside_an_event_loop(tmp_path: Path) -> None:
    stop = asyncio.Event()
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve_mailcatcher(tmp_path, "127.0.0.1", 0, stop,
                                                 on_ready=ready.set_result))
    port = await asyncio.wait_for(ready, 10)
    await aiosmtplib.send(_message("[RESOLVED] sandbox/auth", "ok again", "<p>ok</p>"),
                          hostname="127.0.0.1", port=port, timeout=10)
    stop.set()
    await asyncio.wait_for(task, 10)
    [caught] = list_messages(tmp_path)
    assert caught.subject == "[RESOLVED] sandbox/auth"
    assert caught.html.strip() == "<p>ok</p>"
