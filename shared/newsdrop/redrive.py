"""Dead letters sent back automatically, a bounded number of times: a 5% blip heals without an operator,
and what truly cannot succeed stays in its dead-letter queue, where the depth alarm calls a person.

Runs on a schedule (``RedriverFunction``), so a dead letter waits the schedule's period before its next
try: long enough for a throttle or an outage to pass. Each route says what "back" means:

- a queue's dead letters go back to the queue that gave up on them, with a ``newsdrop-redrives``
  message attribute counting the trips (SQS keeps message attributes on the way to a DLQ);
- the ingest function's failed asynchronous invocations (an on-failure destination record) are invoked
  again with their original payload, the trip count in ``newsdropRedrives`` beside it;
- the related stream's failed batches ask for a canonical rebuild, which recomputes every list from the
  stored articles (the rebuild queue has its own dead-letter queue, redriven like the others).

A message already sent back ``max_redrives`` times is left where it is, and stays visible for the
alarm. The notify stream's failure records are left to the operator: re-reading a stream range needs
the stream (24 h retention) and its batches are retried 5 times with bisection before they get there.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

REDRIVES_ATTRIBUTE = "newsdrop-redrives"
PAYLOAD_REDRIVES = "newsdropRedrives"


@dataclass
class RedriveReport:
    moved: int = 0  # sent back (or turned into a rebuild request)
    kept: int = 0  # at the cap: left in the dead-letter queue for the alarm
    by_queue: dict[str, int] = field(default_factory=dict)


def parse_queue_routes(spec: str) -> dict[str, str]:
    """``"<dlq url>=<source url> ..."`` (whitespace-separated pairs) -> {dlq url: source url}."""
    routes = {}
    for pair in spec.split():
        dlq, sep, source = pair.partition("=")
        if not sep or not dlq or not source:
            raise ValueError(f"bad redrive route {pair!r}: want <dlq url>=<source url>")
        routes[dlq] = source
    return routes


class Redriver:
    def __init__(
        self,
        sqs: Any,
        *,
        queue_routes: dict[str, str],
        max_redrives: int = 3,
        lambda_client: Any | None = None,
        ingest_dlq: str | None = None,
        ingest_function: str | None = None,
        related_dlq: str | None = None,
        rebuild_queue: str | None = None,
        max_messages: int = 1000,
    ):
        self.sqs = sqs
        self.lambda_client = lambda_client
        self.queue_routes = queue_routes
        self.max_redrives = max_redrives
        self.ingest_dlq, self.ingest_function = ingest_dlq, ingest_function
        self.related_dlq, self.rebuild_queue = related_dlq, rebuild_queue
        self.max_messages = max_messages

    def run(self) -> RedriveReport:
        report = RedriveReport()
        for dlq, source in self.queue_routes.items():
            self._each(dlq, report, lambda m, n, _s=source: self._to_queue(_s, m, n))
        if self.ingest_dlq and self.ingest_function and self.lambda_client is not None:
            self._each(self.ingest_dlq, report, self._to_ingest, count=_payload_redrives)
        if self.related_dlq and self.rebuild_queue:
            rebuild_asked = False

            def ask_rebuild(message: dict[str, Any], trips: int) -> None:
                nonlocal rebuild_asked
                if not rebuild_asked:  # one rebuild answers every failed batch
                    self.sqs.send_message(QueueUrl=self.rebuild_queue, MessageBody='{"rebuild": "related"}')
                    rebuild_asked = True

            self._each(self.related_dlq, report, ask_rebuild)
        return report

    def _each(self, dlq: str, report: RedriveReport, send_back: Any, count: Any = None) -> None:
        count = count or _attribute_redrives
        seen: set[str] = set()
        kept: list[str] = []
        try:
            self._receive_all(dlq, report, send_back, count, seen, kept)
        finally:
            for receipt in kept:  # visible again at once: the depth alarm keeps seeing it
                self.sqs.change_message_visibility(QueueUrl=dlq, ReceiptHandle=receipt, VisibilityTimeout=0)

    def _receive_all(
        self, dlq: str, report: RedriveReport, send_back: Any, count: Any, seen: set[str], kept: list[str]
    ) -> None:
        handled = 0
        while handled < self.max_messages:
            messages = self.sqs.receive_message(
                QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=60
            ).get("Messages", [])
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                return
            for message in fresh:
                seen.add(message["MessageId"])
                handled += 1
                trips = count(message)
                if trips >= self.max_redrives:
                    kept.append(message["ReceiptHandle"])
                    report.kept += 1
                    logger.warning(
                        "dead letter kept for the operator",
                        extra={"queue": dlq.rsplit("/", 1)[-1], "redrives": trips},
                    )
                    continue
                send_back(message, trips)
                self.sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
                report.moved += 1
                name = dlq.rsplit("/", 1)[-1]
                report.by_queue[name] = report.by_queue.get(name, 0) + 1

    def _to_queue(self, source: str, message: dict[str, Any], trips: int) -> None:
        attributes = dict(message.get("MessageAttributes") or {})
        attributes[REDRIVES_ATTRIBUTE] = {"DataType": "Number", "StringValue": str(trips + 1)}
        self.sqs.send_message(QueueUrl=source, MessageBody=message["Body"], MessageAttributes=attributes)

    def _to_ingest(self, message: dict[str, Any], trips: int) -> None:
        payload = dict(json.loads(message["Body"]).get("requestPayload") or {})
        payload[PAYLOAD_REDRIVES] = trips + 1
        self.lambda_client.invoke(
            FunctionName=self.ingest_function, InvocationType="Event", Payload=json.dumps(payload).encode()
        )


def _attribute_redrives(message: dict[str, Any]) -> int:
    attr = (message.get("MessageAttributes") or {}).get(REDRIVES_ATTRIBUTE) or {}
    try:
        return int(attr.get("StringValue") or 0)
    except ValueError:
        return 0


def _payload_redrives(message: dict[str, Any]) -> int:
    try:
        payload = json.loads(message["Body"]).get("requestPayload") or {}
        return int(payload.get(PAYLOAD_REDRIVES) or 0)
    except (ValueError, AttributeError, TypeError):
        return 0
