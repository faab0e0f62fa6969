"""The mailbox format (a folder of .eml files and an index): what the demo's mail catcher writes
and the dashboard's Notifications page reads. The SMTP side is in tests/demo/test_mailcatcher.py."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

from alerts.mailbox import INDEX, list_messages, write_message


def _message(subject: str, message_id: str = "<m1/x@seamwatch.test>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "seamwatch <alerts@example.com>"
    message["To"] = "oncall@example.com"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("body")
    return message


def test_written_messages_read_back_newest_first(tmp_path: Path) -> None:
    first = write_message(tmp_path, _message("one").as_bytes(), "alerts@example.com",
                          ["oncall@example.com", "hidden@example.com"])
    second = write_message(tmp_path, _message("two", "<m2/x@seamwatch.test>").as_bytes(),
                           "alerts@example.com",
                           ["oncall@example.com"])
    assert first != second and first.suffix == second.suffix == ".eml"
    assert "/" not in first.name.removesuffix(".eml").split("_", 1)[1]
    index = [json.loads(line) for line in (tmp_path / INDEX).read_text().splitlines()]
    assert [entry["path"] for entry in index] == [first.name, second.name]
    assert index[0]["to"] == ["oncall@example.com", "hidden@example.com"]
    assert index[0]["message_id"] == "<m1/x@seamwatch.test>"
    messages = list_messages(tmp_path)
    assert [m.subject for m in messages] == ["two", "one"]
    assert messages[1].recipients[-1] == "hidden@example.com"
    assert messages[1].to == ["oncall@example.com"]
    assert not list(tmp_path.glob("*.part"))


def test_reader_is_tolerant(tmp_path: Path) -> None:
    assert list_messages(tmp_path / "never-created") == []
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "messages.jsonl").write_text(
        '{"time": "2024-01-01T00:00:00+00:00", "path": "gone.eml"}\n{"truncated": \n')
    (folder / "unindexed.eml").write_bytes(_message("not in the index").as_bytes())
    [only] = list_messages(folder)
    assert only.subject == "not in the index"
