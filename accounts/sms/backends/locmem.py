"""Keeps messages in memory (``outbox``) instead of sending them: for tests."""

from __future__ import annotations

from dataclasses import dataclass

outbox: list[SmsMessage] = []


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str
    message_id: str


class SmsBackend:
    def send(self, *, to: str, text: str) -> str:
        message = SmsMessage(to=to, text=text, message_id=f"locmem-{len(outbox) + 1}")
        outbox.append(message)
        return message.message_id
