"""A chaos run on the local stack: drop files into a deployed stack with faults injected
(`newsdrop.local.faults`), drive every event to rest (with the template's scheduled redriver run as its
schedule would, see ``redriver_every``), optionally play the operator (redrive every dead-letter queue after
the alarm), and check, from the stores only: every drop stored or quarantined, every related list equal to
a clean reindex, one email per matching (subscriber, article), none for the others, no duplicates, every
dead-letter queue empty.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from botocore.exceptions import ClientError

from newsdrop.local.dispatch import Dispatcher
from newsdrop.local.faults import FaultInjector, remember_params
from newsdrop.local.generated import DropFile
from newsdrop.local.moto_patches import clock
from newsdrop.local.stack import LocalStack


@dataclass
class Outcome:
    """What the stores say after the run (and after the operator's redrive, if any)."""

    drops: int = 0
    stored: int = 0
    quarantined: int = 0
    lost: list[str] = field(default_factory=list)
    related_equal: int = 0
    related_total: int = 0
    related_diff: list[str] = field(default_factory=list)
    emails_expected: int = 0
    emails_sent: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (address, slug) sent > once
    duplicates_in_window: int = 0  # of those, SES accepted a copy whose ledger write never happened
    missing: list[tuple[str, str]] = field(default_factory=list)
    unexpected: list[tuple[str, str]] = field(default_factory=list)
    dead_letters: dict[str, int] = field(default_factory=dict)

    @property
    def dlq_total(self) -> int:
        return sum(self.dead_letters.values())

    @property
    def related_ok(self) -> bool:
        return self.related_equal == self.related_total

    @property
    def ok(self) -> bool:
        """Every invariant of the issue holds (the documented duplicate window counted as a failure)."""
        return (
            not self.lost
            and self.related_ok
            and not self.missing
            and not self.unexpected
            and not self.duplicates
            and self.dlq_total == 0
        )

    def summary(self) -> dict[str, Any]:
        return {
            "drops": self.drops,
            "stored": self.stored,
            "quarantined": self.quarantined,
            "lost": len(self.lost),
            "related": f"{self.related_equal}/{self.related_total}",
            "emails_expected": self.emails_expected,
            "emails_sent": self.emails_sent,
            "duplicates": len(self.duplicates),
            "duplicates_in_window": self.duplicates_in_window,
            "missing": len(self.missing),
            "unexpected": len(self.unexpected),
            "dead_letters": dict(self.dead_letters),
        }


DLQ_RESOURCES = (
    "IngestDeadLetterQueue",
    "RelatedDeadLetterQueue",
    "RebuildDeadLetterQueue",
    "NotifyFailureQueue",
    "FanoutDeadLetterQueue",
    "SendDeadLetterQueue",
    "FeedbackDeadLetterQueue",
)

CHAOS_ENV = {
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "SEND_RATE_PER_WORKER": "0",  # no real rate-limit sleeping locally (moto has no send quota)
}


class ChaosScenario:
    """One chaos run on a deployed local stack (inside ``embedded_aws()``)."""

    def __init__(self, stack: LocalStack, injector: FaultInjector):
        self.stack = stack
        self.injector = injector
        self.backoff_slept = 0.0
        self.redrive_rounds = 0
        injector.install(stack.session)
        for emitter in injector._emitters:
            emitter.register("before-parameter-build", remember_params, unique_id="newsdrop-chaos-params")
        injector.wrap(stack, on_invoke=lambda fn: self._speed_up())
        self.dispatcher = Dispatcher(stack)
        self.bucket = stack.output("DropBucketName")
        self.incoming = stack.parameters["IncomingPrefix"]
        self.quarantine = stack.parameters["QuarantinePrefix"]
        self.keys: list[str] = []
        self.subscribers: list[tuple[str, str, list[str], bool]] = []  # (sid, email, topics, everything)
        self.redriver_runs = 0  # scheduled runs of RedriverFunction that found dead letters
        self.auto_redriven = 0  # dead letters it sent back
        self._async_invokes: list[tuple[str, dict[str, Any]]] = []
        for emitter in injector._emitters:
            emitter.register_first(
                "before-call.lambda.Invoke", self._lambda_invoke, unique_id="newsdrop-invoke"
            )

    def _speed_up(self) -> None:
        """No real sleeping: the sender's throttle backoff is counted, and its lease clock can be moved
        forward (what minutes of waiting for an alarm and an operator would do)."""
        from newsdrop.notify import wiring

        if wiring.sender_runtime.cache_info().currsize:
            sender = wiring.sender_runtime().sender
            if not getattr(sender, "_chaos", False):
                sender.sleep = self._sleep
                # the local clock: what the dispatcher moves forward while messages are invisible
                sender.clock = clock.time
                sender._chaos = True  # type: ignore[attr-defined]

    def _sleep(self, seconds: float) -> None:
        self.backoff_slept += seconds

    # -- setup --------------------------------------------------------------------------------------
    def seed_subscribers(self, rows: list[tuple[str, list[str], bool]]) -> int:
        """(email, topics, follows everything), loaded confirmed; no faults (it is set-up, not a function)."""
        from newsdrop.notify.store import DynamoSubscriberStore
        from newsdrop.notify.subscribers import normalize_email, normalize_topics
        from newsdrop.notify.tokens import TokenSigner

        stack = self.stack
        secret = stack.client("ssm").get_parameter(
            Name=f"/{stack.parameters['SigningSecretParameter']}", WithDecryption=True
        )["Parameter"]["Value"]
        signer = TokenSigner(secret)
        loaded = []
        for email, topics, everything in rows:
            address = normalize_email(email)
            loaded.append((signer.subscriber_id(address), address, normalize_topics(topics), everything))
        store = DynamoSubscriberStore(stack.session.resource("dynamodb"), stack.resource("SubscribersTable"))
        store.bulk_load_confirmed(loaded, now=int(time.time()))
        self.subscribers = loaded
        return len(loaded)

    # -- the run ------------------------------------------------------------------------------------
    def drop(self, files: list[DropFile], *, burst: int = 10) -> None:
        """Upload in bursts of ``burst`` files, driving every event to rest after each burst."""
        s3 = self.stack.client("s3")
        for start in range(0, len(files), burst):
            for f in files[start : start + burst]:
                key = f"{self.incoming}{f.name}"
                s3.put_object(Bucket=self.bucket, Key=key, Body=f.body)
                self.keys.append(key)
            self.dispatcher.pump()

    def redrive(self, *, rounds: int = 10) -> int:
        """The operator after a DLQ alarm, minutes later: leases have expired; every dead letter goes
        back where it came from (async payloads re-invoked, stream batches re-read and re-delivered,
        queue messages moved back to their source queue), then everything is driven to rest again; and
        again while the alarm would still fire (faults stay on, so a redriven message can fail again).
        ``redrive_rounds`` says how many rounds moved something."""
        moved_total = 0
        for _ in range(rounds):
            clock.advance(3600)  # an hour later: every ledger lease (300 s) has expired
            moved = 0
            moved += self._redrive_async("IngestDeadLetterQueue", "IngestFunction")
            moved += self._redrive_stream("RelatedDeadLetterQueue", "RelatedFunction")
            moved += self._redrive_stream("NotifyFailureQueue", "NotifyFunction")
            for dlq, source in self._queue_redrives().items():
                moved += self._move_messages(dlq, source)
            self.dispatcher.pump()
            moved_total += moved
            if not moved:
                break
            self.redrive_rounds += 1
        return moved_total

    # -- the scheduled redriver (no operator) ------------------------------------------------------
    def _lambda_invoke(self, context: Any = None, **kwargs: Any) -> Any:
        """lambda:Invoke(InvocationType=Event) of a stack function from a function: queued, and delivered
        as an asynchronous invocation once the caller has returned (moto cannot run our functions)."""
        from botocore.awsrequest import AWSResponse

        params = (context or {}).get("chaos_params") or {}
        name = params.get("FunctionName", "")
        target = next(
            (f.logical_id for f in self.stack.functions.values() if name in (f.name, f.arn, f.logical_id)),
            None,
        )
        if target is None:
            return None  # not ours: let moto answer
        payload = params.get("Payload") or b"{}"
        self._async_invokes.append((target, json.loads(payload)))
        return AWSResponse("https://lambda.local/", 202, {}, None), {
            "StatusCode": 202,
            "ResponseMetadata": {"HTTPStatusCode": 202},
        }

    def dead_letters(self) -> int:
        sqs, total = self.stack.client("sqs"), 0
        for logical_id in DLQ_RESOURCES:
            if logical_id in self.stack.physical:
                attrs = sqs.get_queue_attributes(
                    QueueUrl=self.stack.resource(logical_id),
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                total += int(attrs["ApproximateNumberOfMessages"]) + int(
                    attrs["ApproximateNumberOfMessagesNotVisible"]
                )
        return total

    def heal(self, *, period: int = 600, max_runs: int = 24) -> int:
        """RedriverFunction run as its schedule (template.yaml: every 10 minutes) would, while dead
        letters remain and it still moves some; faults and kills stay on for it too. Returns how many
        dead letters it sent back."""
        if "RedriverFunction" not in self.stack.functions:
            return 0
        moved_total = 0
        for _ in range(max_runs):
            if not self.dead_letters():
                break
            clock.advance(period)
            event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
            self._async_invokes.clear()
            try:
                report = self.dispatcher._invoke(self.stack.functions["RedriverFunction"], event) or {}
            except Exception:  # noqa: BLE001 (a failed run: the next scheduled one tries again)
                report = {}
            invokes, self._async_invokes = list(self._async_invokes), []
            for target, payload in invokes:
                self.dispatcher._invoke_async(target, payload)
            self.dispatcher.pump()
            self.redriver_runs += 1
            moved = int(report.get("moved", 0)) + len(invokes)
            moved_total += moved
            if not moved and not report.get("kept"):
                continue  # a killed run: the next one
            if not moved:
                break  # only poison left: it stays for the alarm
        self.auto_redriven += moved_total
        return moved_total

    def _drain(self, logical_id: str) -> list[dict[str, Any]]:
        if logical_id not in self.stack.physical:
            return []
        sqs, url, out = self.stack.client("sqs"), self.stack.resource(logical_id), []
        while True:
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return out
            for m in messages:
                out.append(m)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    def _redrive_async(self, dlq: str, function: str) -> int:
        messages = self._drain(dlq)
        for m in messages:
            payload = json.loads(m["Body"])["requestPayload"]
            self.dispatcher._invoke_async(function, payload)
        return len(messages)

    def _redrive_stream(self, dlq: str, function: str) -> int:
        from newsdrop.local.dispatch import _lambda_stream_record
        from newsdrop.local.filters import matches_any

        messages = self._drain(dlq)
        if not messages:
            return 0
        source = next(s for s in self.stack.event_sources if s.function == function)
        props = source.props
        patterns = [json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]
        streams = self.dispatcher._streams
        fn = self.stack.functions[function]
        for m in messages:
            info = json.loads(m["Body"])["DDBStreamBatchInfo"]
            lo, hi, arn = int(info["startSequenceNumber"]), int(info["endSequenceNumber"]), info["streamArn"]
            records = []
            for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                it = streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                while it:
                    resp = streams.get_records(ShardIterator=it, Limit=1000)
                    for r in resp["Records"]:
                        if lo <= int(r["dynamodb"]["SequenceNumber"]) <= hi:
                            records.append(_lambda_stream_record(r, arn))
                    it = resp.get("NextShardIterator") if resp["Records"] else None
            records = [r for r in records if not patterns or matches_any(patterns, r)]
            batch_size = int(props.get("BatchSize", 100))
            for start in range(0, len(records), batch_size):
                self.dispatcher._deliver_stream_batch(
                    fn,
                    records[start : start + batch_size],
                    int(props.get("MaximumRetryAttempts", -1)),
                    "ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                    props,
                )
        return len(messages)

    def _queue_redrives(self) -> dict[str, str]:
        """dead-letter queue logical id -> the queue whose RedrivePolicy names it."""
        out = {}
        for logical_id, res in self.stack.cfn["Resources"].items():
            policy = (
                res.get("Properties", {}).get("RedrivePolicy") if res["Type"] == "AWS::SQS::Queue" else None
            )
            target = (policy or {}).get("deadLetterTargetArn")
            if isinstance(target, dict) and "Fn::GetAtt" in target:
                out[target["Fn::GetAtt"][0]] = logical_id
        return out

    def _move_messages(self, dlq: str, source: str) -> int:
        messages = self._drain(dlq)
        sqs, url = self.stack.client("sqs"), self.stack.resource(source)
        for m in messages:
            sqs.send_message(
                QueueUrl=url,
                MessageBody=m["Body"],
                **({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {}),
            )
        return len(messages)

    # -- the checks ---------------------------------------------------------------------------------
    def check(self) -> Outcome:
        from newsdrop.ingest.store import ArticleStore
        from newsdrop.local.mail import _raw_messages
        from newsdrop.notify.subscribers import match_reason
        from newsdrop.related.engine import InMemoryRelatedIndex, reindex_all, related_for
        from newsdrop.related.store import DynamoDBRelatedIndex

        stack, out = self.stack, Outcome()
        ddb = stack.session.resource("dynamodb")
        store = ArticleStore(stack.resource("ArticlesTable"), ddb)
        articles = {a.slug: a for a in store.iter_articles()}
        s3 = stack.client("s3")

        # 1. every drop is a stored article or a quarantined object with its report
        out.drops = len(self.keys)
        for key in self.keys:
            records = sorted(store.drops_for(key), key=lambda r: str(r.get("sk", "")))
            last = records[-1] if records else None
            if last and last.get("status") in ("stored", "unchanged") and last.get("slug") in articles:
                out.stored += 1
            elif last and last.get("status") == "rejected" and self._quarantined(s3, last):
                out.quarantined += 1
            else:
                out.lost.append(key)

        # 2. every related list equals a clean reindex of the stored articles
        clean = InMemoryRelatedIndex()
        reindex_all(clean, articles.values())
        live = DynamoDBRelatedIndex(stack.resource("RelatedTable"), ddb)
        for slug in sorted(articles):
            got = [(e.slug, e.score) for e in related_for(live, slug)]
            want = [(e.slug, e.score) for e in related_for(clean, slug)]
            out.related_total += 1
            if got == want:
                out.related_equal += 1
            else:
                out.related_diff.append(slug)

        # 3. one email per matching (subscriber, article), none otherwise, no duplicates
        expected = {
            (email, slug)
            for slug, article in articles.items()
            for _sid, email, topics, everything in self.subscribers
            if match_reason(article.tag_keys, topics, everything) is not None
        }
        sent = Counter(_recipient_and_article(raw) for raw in _raw_messages(stack))
        by_sid = {email: sid for sid, email, _t, _e in self.subscribers}
        out.emails_expected = len(expected)
        out.emails_sent = sum(sent.values())
        out.duplicates = sorted(k for k, n in sent.items() if n > 1)
        out.duplicates_in_window = sum(
            1
            for email, slug in out.duplicates
            if (slug, by_sid.get(email, "")) in self.injector.unacked_sends
        )
        out.missing = sorted(expected - set(sent))
        out.unexpected = sorted(set(sent) - expected)

        # 4. what is left in the dead-letter queues
        sqs = stack.client("sqs")
        for logical_id in DLQ_RESOURCES:
            if logical_id in stack.physical:
                attrs = sqs.get_queue_attributes(
                    QueueUrl=stack.resource(logical_id),
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                out.dead_letters[logical_id] = int(attrs["ApproximateNumberOfMessages"]) + int(
                    attrs["ApproximateNumberOfMessagesNotVisible"]
                )
        return out

    def _quarantined(self, s3: Any, record: dict[str, Any]) -> bool:
        target = record.get("quarantined_as")
        if not target:
            return False
        try:
            s3.head_object(Bucket=self.bucket, Key=target)
            report = json.loads(s3.get_object(Bucket=self.bucket, Key=f"{target}.reject.json")["Body"].read())
        except ClientError:
            return False
        return bool(report.get("reason"))


def _recipient_and_article(raw: str) -> tuple[str, str | None]:
    """(address, article slug) of one sent message, from its header block only: the same To and
    X-Newsdrop-Article headers `newsdrop.local.mail.sent_messages` reads, without parsing each MIME body
    into the modern email API's objects (that took most of the final check at 100,000 emails)."""
    from email.parser import HeaderParser
    from email.policy import compat32

    from newsdrop.local.mail import ARTICLE_HEADER

    head = raw.split("\r\n\r\n", 1)[0] if "\r\n\r\n" in raw else raw.split("\n\n", 1)[0]
    headers = HeaderParser(policy=compat32).parsestr(head + "\n\n", headersonly=True)
    article = headers[ARTICLE_HEADER]
    return parseaddr(str(headers["To"] or ""))[1].lower(), (str(article).strip() if article else None)
