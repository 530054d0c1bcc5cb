"""A reader's site on this machine for the browser and output tests: template.yaml deployed into in-process
moto, our own sample articles dropped through the real ingest, every event driven (so the publisher function
wrote the pages into the SiteBucket), and `newsdrop.local.web.SiteServer` serving the bucket and the
subscription API on one local origin, as `newsdrop dev` does."""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from newsdrop.local.pipeline import FAKE_CREDENTIALS

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **FAKE_CREDENTIALS,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def _article(title: str, tags: list[str], date: str, paragraphs: list[str]) -> bytes:
    head = f'---\ntitle: "{title}"\nauthor: Ines Barros\ndate: {date}\ntags: [{", ".join(tags)}]\n---\n\n'
    return (head + "\n\n".join(paragraphs) + "\n").encode()


# Our own sample articles (never the third-party corpus). Three about one bridge, so that they relate to each
# other; two others for the bookmarks and unpublishing. No `summary`: excerpts are cut from the body.
ARTICLES = {
    "bridge-reopens.md": _article(
        "Harbour bridge reopens after two years of repairs",
        ["Transport", "City Council"],
        "2026-11-20T08:00:00Z",
        [
            "The harbour bridge reopened to traffic on Friday morning after two years of repairs to its steel "
            "cables, its deck and the approach roads on both banks of the estuary.",
            "Engineers replaced every suspension cable of the harbour bridge and resurfaced the deck. The city "
            "council said the repairs finished three weeks ahead of schedule and within the budget it set.",
            "Buses return to the bridge on Monday. Cyclists get a protected lane on the eastern side, and "
            "pedestrians a widened footway with new lighting along the whole span.",
        ],
    ),
    "bridge-tolls.md": _article(
        "Commuters return to the harbour bridge as tolls are frozen",
        ["Transport", "City Council"],
        "2026-11-21T08:00:00Z",
        [
            "Commuters crowded back onto the harbour bridge this week after the city council froze its tolls "
            "for another year, reversing a planned increase that drivers had protested against.",
            "The harbour bridge carried more than forty thousand vehicles on its first full weekday since the "
            "repairs to its cables and deck ended, according to the council's traffic counters.",
            "Bus operators said journeys across the estuary were twelve minutes shorter than on the diversion "
            "route that commuters used while the bridge was closed for repairs.",
        ],
    ),
    "bridge-cables.md": _article(
        "Engineers explain how the harbour bridge cables were replaced",
        ["Transport", "Engineering"],
        "2026-11-22T08:00:00Z",
        [
            "Replacing the suspension cables of a working harbour bridge meant lifting the deck a few "
            "millimetres at a time, engineers told a public meeting at the city council on Wednesday.",
            "Each new cable of the bridge was spun on site from thousands of galvanised wires, then tensioned "
            "while the old cable beside it still carried the deck, so the span never lost its support.",
            "The engineers said sensors now fitted along the bridge cables report corrosion and strain, which "
            "should make the next repairs smaller and much cheaper than these ones.",
        ],
    ),
    "library-hours.md": _article(
        "Central library extends its weekend opening hours",
        ["Culture", "City Council"],
        "2026-11-23T08:00:00Z",
        [
            "The central library will open on Sunday afternoons from next month, and stay open until eight "
            "in the evening on Saturdays, after a reader survey asked for longer weekend hours.",
            "Librarians said the reading rooms are busiest on weekends, when students and families come in, "
            "and that the new hours are paid for by closing an hour earlier on quiet Monday mornings.",
        ],
    ),
    "night-market.md": _article(
        "Night market returns to the old fish quay",
        ["Food", "Culture"],
        "2026-11-24T08:00:00Z",
        [
            "The night market returns to the old fish quay this Friday, with forty stalls of street food, "
            "local cider and music until midnight through the winter months.",
            "Traders said the quay's new lighting and the shelter built over the cobbles let the market run in "
            "the rain, which closed it on many evenings last winter.",
        ],
    ),
}
SLUGS = {
    "bridge-reopens.md": "harbour-bridge-reopens-after-two-years-of-repairs",
    "bridge-tolls.md": "commuters-return-to-the-harbour-bridge-as-tolls-are-frozen",
    "bridge-cables.md": "engineers-explain-how-the-harbour-bridge-cables-were-replaced",
    "library-hours.md": "central-library-extends-its-weekend-opening-hours",
    "night-market.md": "night-market-returns-to-the-old-fish-quay",
}


@dataclass
class LocalSite:
    server: object  # newsdrop.local.web.SiteServer
    stack: object  # newsdrop.local.stack.LocalStack
    dispatcher: object  # newsdrop.local.dispatch.Dispatcher

    @property
    def origin(self) -> str:
        return self.server.origin

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"

    def drop(self, name: str, body: bytes) -> None:
        stack = self.stack
        stack.client("s3").put_object(
            Bucket=stack.output("DropBucketName"),
            Key=f"{stack.parameters['IncomingPrefix']}{name}",
            Body=body,
        )
        self.settle()

    def unpublish(self, name: str) -> None:
        """Delete the file from the drop bucket. The bucket is versioned: S3 notifies a delete marker, which moto
        does not, so the ingest function gets S3's event for it (events/s3-delete.json) as S3 would send it."""
        stack = self.stack
        bucket, key = stack.output("DropBucketName"), f"{stack.parameters['IncomingPrefix']}{name}"
        stack.client("s3").delete_object(Bucket=bucket, Key=key)
        event = json.loads((ROOT / "events" / "s3-delete.json").read_text())
        event["Records"][0]["s3"]["bucket"]["name"] = bucket
        event["Records"][0]["s3"]["object"]["key"] = quote_plus(key, safe="/")
        with self.server.lock:
            stack.functions["IngestFunction"].invoke(event)
        self.settle()

    def settle(self) -> None:
        with self.server.lock:  # the server's API calls and the dispatcher share one process environment
            self.dispatcher.pump()

    def mails_to(self, address: str) -> list[email.message.EmailMessage]:
        from newsdrop.local.mail import sent_messages

        return [
            email.message_from_string(m.raw, policy=email.policy.default)
            for m in sent_messages(self.stack)
            if address in m.to
        ]


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: email.message.EmailMessage, path: str) -> str:
    found = re.search(rf"https?://[^\s\"'<>]+{re.escape(path)}\?token=[^\s\"'<>]+", text_of(message))
    assert found, f"no {path} link in:\n{text_of(message)}"
    return found.group(0)


@contextmanager
def local_site() -> Iterator[LocalSite]:
    from moto import mock_aws

    from newsdrop.local.audience import prepare_mail
    from newsdrop.local.dev import dev_parameters, publish_site
    from newsdrop.local.dispatch import Dispatcher
    from newsdrop.local.stack import LocalStack
    from newsdrop.local.web import SiteServer

    patch = pytest.MonkeyPatch()
    for name, value in ENV.items():
        patch.setenv(name, value)
    patch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch.delenv("AWS_PROFILE", raising=False)
    try:
        with mock_aws():
            server = SiteServer()  # bound first: the stack's emails link to its origin
            stack = LocalStack(
                ROOT,
                parameters=dev_parameters(server.origin),
                env_overrides={"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"},
            ).deploy()
            prepare_mail(stack)
            publish_site(stack)
            site = LocalSite(server, stack, Dispatcher(stack))
            for name, body in ARTICLES.items():
                stack.client("s3").put_object(
                    Bucket=stack.output("DropBucketName"),
                    Key=f"{stack.parameters['IncomingPrefix']}{name}",
                    Body=body,
                )
            site.settle()
            server.attach(stack).start()
            try:
                yield site
            finally:
                server.stop()
    finally:
        patch.undo()
