"""Read back what the local SES (moto) accepted: the exact raw MIME each subscriber would receive."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from pathlib import Path

from newsdrop.local.stack import LocalStack

ARTICLE_HEADER = "X-Newsdrop-Article"
SHOWN_HEADERS = ("From", "To", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post", ARTICLE_HEADER)


@dataclass
class SentMail:
    to: str
    subject: str
    article: str | None
    headers: dict[str, str]
    raw: str


def _raw_messages(stack: LocalStack) -> list[str]:
    # moto's backends live in this process, also under `newsdrop dev` (its moto server is a thread of it);
    # the server's /moto-api/data.json cannot be used there: it fails on the Lambda backend (no Docker).
    from moto.backends import get_backend

    account = stack.client("sts").get_caller_identity()["Account"]
    backend = get_backend("ses")[account][stack.region]
    return [m.raw_data for m in backend.sent_messages if hasattr(m, "raw_data")]


def sent_messages(stack: LocalStack) -> list[SentMail]:
    mails = []
    for raw in _raw_messages(stack):
        msg = email.message_from_string(raw, policy=email.policy.default)
        headers = {name: str(msg[name]) for name in SHOWN_HEADERS if msg[name] is not None}
        mails.append(
            SentMail(
                to=str(msg["To"]),
                subject=str(msg["Subject"]),
                article=headers.get(ARTICLE_HEADER),
                headers=headers,
                raw=raw,
            )
        )
    return mails


def write_outbox(mails: list[SentMail], outbox: Path) -> list[Path]:
    outbox.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, mail in enumerate(mails, 1):
        path = outbox / f"{n:05d}-{mail.article or 'mail'}.eml"
        path.write_text(mail.raw)
        paths.append(path)
    return paths
