"""Writes messages to standard output: the development default, so nothing is ever sent by mistake."""

from __future__ import annotations

import sys
import uuid


class SmsBackend:
    def send(self, *, to: str, text: str) -> str:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        sys.stdout.write(f"SMS to {to} ({message_id}):\n{text}\n{'-' * 40}\n")
        sys.stdout.flush()
        return message_id
