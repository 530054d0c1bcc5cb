"""Unsubscribe by email (the ``mailto:`` of ``List-Unsubscribe``): find the token in what SES received.

SES's receipt rule stores the message in S3 and invokes the unsubscribe-mail function with the
notification (headers and ``commonHeaders``, not the body). The token is in the subject our mailto: URL
set (``unsubscribe <token>``); a client that rewrote the subject may still quote it in the body, so the
stored message is read when the subject has none. The token alone authorises the unsubscribe (as the
https link does): a forged sender gains nothing it could not do with the link.
"""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any, NamedTuple

TOKEN_RE = re.compile(r"v1\.unsubscribe\.[0-9a-f]{32}\.[0-9]{1,12}\.[A-Za-z0-9_-]{43}")
MAX_SCANNED_CHARS = 256 * 1024


class ReceivedMail(NamedTuple):
    message_id: str
    subject: str
    object_key: str  # where the receipt rule's S3 action stored it


def received_mails(event: Any, prefix: str = "") -> list[ReceivedMail]:
    """The messages of an SES receipt event (Lambda action), as Powertools' SesModel parsed it
    (``newsdrop.event_models.received_mail``)."""
    return [
        ReceivedMail(
            message_id=record.ses.mail.messageId,
            subject=record.ses.mail.commonHeaders.subject,
            object_key=f"{prefix}{record.ses.mail.messageId}",
        )
        for record in event.Records
    ]


def token_in_text(text: str) -> str | None:
    match = TOKEN_RE.search(text[:MAX_SCANNED_CHARS])
    return match.group(0) if match else None


def token_in_message(raw: bytes) -> str | None:
    """The token from a stored message: its decoded subject first, then its text parts."""
    message = email.message_from_bytes(raw[: MAX_SCANNED_CHARS * 4], policy=email.policy.default)
    token = token_in_text(str(message.get("Subject", "")))
    if token:
        return token
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                token = token_in_text(part.get_content())
            except (LookupError, ValueError):  # an unknown charset: nothing to read in that part
                continue
            if token:
                return token
    return None
