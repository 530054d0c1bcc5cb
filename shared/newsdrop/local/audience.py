"""Local mail setup: the signing secret and the verified sender that a deployment creates by hand, and
subscribers for `newsdrop run --subscribers N | FILE.csv`."""

from __future__ import annotations

import csv
import secrets
import time
from pathlib import Path

from newsdrop.local.stack import LocalStack
from newsdrop.notify.store import DynamoSubscriberStore
from newsdrop.notify.subscribers import normalize_email, normalize_topics
from newsdrop.notify.tokens import TokenSigner


def prepare_mail(stack: LocalStack) -> None:
    """What docs/deploy.md's steps do by hand: an SSM SecureString signing key and an SES identity."""
    stack.client("ssm").put_parameter(
        Name=f"/{stack.parameters['SigningSecretParameter']}",
        Type="SecureString",
        Value=secrets.token_hex(32),
        Overwrite=True,
    )
    stack.client("ses").verify_email_identity(EmailAddress=stack.parameters["SenderAddress"])
    # ...and the domain identity with Easy DKIM (docs/deploy.md), which `newsdrop doctor` checks.
    if "@" not in stack.parameters["SenderIdentity"]:
        stack.client("ses").verify_domain_identity(Domain=stack.parameters["SenderIdentity"])
        stack.client("ses").verify_domain_dkim(Domain=stack.parameters["SenderIdentity"])


def subscriber_rows(spec: str) -> list[tuple[str, list[str], bool]]:
    """(email, topics, follows everything) from N (synthetic readers following everything) or a CSV
    with columns email,topics (topics separated by ';', empty or '*' for everything)."""
    if spec.isdigit():
        return [(f"reader{i:06d}@example.org", [], True) for i in range(int(spec))]
    rows = []
    with Path(spec).open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            topics = [t for t in (row.get("topics") or "").split(";") if t.strip()]
            everything = not topics or topics == ["*"]
            rows.append((row["email"], [] if everything else topics, everything))
    return rows


def seed_subscribers(stack: LocalStack, spec: str) -> int:
    secret = stack.client("ssm").get_parameter(
        Name=f"/{stack.parameters['SigningSecretParameter']}", WithDecryption=True
    )["Parameter"]["Value"]
    signer = TokenSigner(secret)
    store = DynamoSubscriberStore(stack.session.resource("dynamodb"), stack.resource("SubscribersTable"))
    loaded = []
    for email, topics, everything in subscriber_rows(spec):
        address = normalize_email(email)
        loaded.append((signer.subscriber_id(address), address, normalize_topics(topics), everything))
    return store.bulk_load_confirmed(loaded, now=int(time.time()))
