"""Fan-out benchmark: one new article to N subscribers, on in-process moto, through the real handlers.

    .venv/bin/python bench/fanout.py                      # 10,000 and 100,000 subscribers
    .venv/bin/python bench/fanout.py --subscribers 2000 --send-failure 0.1 --crash 0.05

The article is stored in the articles table; its stream record goes to the notify handler, the fan-out
queue's messages to the fanout handler, the send queue's to the sender handler, each as Lambda would
deliver them (Records built from moto's dynamodbstreams get_records / SQS receive_message, partial
batch responses honoured, failed messages made visible again, redrive to the DLQ after
maxReceiveCount). Faults injected at random:

* ``--send-failure``: that fraction of SES calls fail before SES accepts them (half throttling, half
  transient errors);
* ``--crash``: that fraction of handler invocations die after doing their work but before answering
  (the whole batch comes back), and about as many sender invocations die mid-batch, just before an
  SES call (1/100 of that rate per call: the process is gone, its ledger claim is left 'sending'
  until the lease expires, which the bench fast-forwards as the queue's visibility timeout would).

It prints wall time, SES calls, SQS messages, DynamoDB calls/items per recipient, and the duplicates
and misses found by reading back every message moto's SES accepted. Target: zero of both.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared"))

REGION = "us-east-1"
SENDER = "news@example.com"
TOPICS = [f"topic-{n:02d}" for n in range(20)]
SECRET_PARAMETER = "/newsdrop/bench/signing-secret"
# the cached per-container runtimes of newsdrop.notify.store, cleared between worlds
RUNTIMES = ("subscription_runtime", "notify_runtime", "fanout_runtime", "sender_runtime", "feedback_runtime")
_TO_RE = re.compile(r"^To: (.+)$", re.M)
_ARTICLE_RE = re.compile(r"^X-Newsdrop-Article: (.+)$", re.M)


class SimulatedCrash(BaseException):
    """The Lambda process died (timeout, OOM, kill): nothing in the handler catches this."""


class FakeContext:
    def __init__(self, name: str, timeout_s: int = 120):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Counters:
    calls: Counter = field(default_factory=Counter)  # "service.Operation" -> calls
    ddb_items_read: int = 0
    ddb_items_written: int = 0
    sqs_messages_sent: int = 0

    def hook(self, model=None, params=None, **_: Any) -> None:  # provide-client-params: the API params
        service, op = model.service_model.service_name, model.name
        self.calls[f"{service}.{op}"] += 1
        if service == "sqs" and op == "SendMessageBatch":
            self.sqs_messages_sent += len(params.get("Entries", []))
        elif service == "sqs" and op == "SendMessage":
            self.sqs_messages_sent += 1
        elif service == "dynamodb":
            if op == "BatchWriteItem":
                self.ddb_items_written += sum(len(v) for v in params.get("RequestItems", {}).values())
            elif op == "TransactWriteItems":
                self.ddb_items_written += len(params.get("TransactItems", []))
            elif op in ("PutItem", "UpdateItem", "DeleteItem"):
                self.ddb_items_written += 1

    def after(self, model=None, parsed=None, **_: Any) -> None:
        if model.service_model.service_name != "dynamodb" or not isinstance(parsed, dict):
            return
        if model.name in ("Query", "Scan"):
            self.ddb_items_read += int(parsed.get("Count", 0))
        elif model.name == "GetItem":
            self.ddb_items_read += 1
        elif model.name == "BatchGetItem":
            self.ddb_items_read += sum(len(v) for v in parsed.get("Responses", {}).values())


def _load(name: str):
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"newsdrop_bench_fn_{name}_{uuid.uuid4().hex[:6]}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class World:
    """Tables, queues, SES identity and the secret in moto (call inside an active ``mock_aws``), the
    environment the template gives the functions, and the five handlers loaded fresh."""

    def __init__(self, *, redrive: int = 10):
        import boto3

        self._saved_env = dict(os.environ)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
        os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        # as the other benches: no metric namespace here, and the figures are printed, not published
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
        self.session = boto3.session.Session(region_name=REGION)  # the bench's own calls: not counted
        self.ddb = self.session.client("dynamodb")
        self.sqs = self.session.client("sqs")
        self.articles_table = self._table("newsdrop-articles", stream=True)
        self.subscribers_table = self._table("newsdrop-subscribers")
        self.deliveries_table = self._table("newsdrop-deliveries")
        self.fanout_url, self.fanout_dlq = self._queue("newsdrop-fanout", redrive)
        self.send_url, self.send_dlq = self._queue("newsdrop-send", redrive)
        self.feedback_url, self.feedback_dlq = self._queue("newsdrop-feedback", redrive)
        self.mail_request_url, _ = self._queue("newsdrop-mail-requests", redrive)
        self.session.client("ssm").put_parameter(
            Name=SECRET_PARAMETER, Type="SecureString", Value=uuid.uuid4().hex + uuid.uuid4().hex
        )
        self.session.client("ses").verify_email_identity(EmailAddress=SENDER)
        os.environ.update(
            {
                "SUBSCRIBERS_TABLE": self.subscribers_table,
                "DELIVERIES_TABLE": self.deliveries_table,
                "ARTICLES_TABLE": self.articles_table,
                "SIGNING_SECRET_PARAMETER": SECRET_PARAMETER,
                "SENDER_ADDRESS": SENDER,
                "SITE_NAME": "Newsdrop",
                "SITE_BASE_URL": "https://news.example.com",
                "API_BASE_URL": "https://api.news.example.com",
                "SEND_QUEUE_URL": self.send_url,
                "FANOUT_QUEUE_URL": self.fanout_url,
                "MAIL_REQUEST_QUEUE_URL": self.mail_request_url,
            }
        )
        self.counters = Counters()
        boto3.setup_default_session(region_name=REGION)  # the functions' clients: counted
        boto3.DEFAULT_SESSION.events.register("provide-client-params", self.counters.hook)
        boto3.DEFAULT_SESSION.events.register("after-call", self.counters.after)
        from aws_lambda_powertools.utilities import parameters

        from newsdrop.notify import store as subscriber_store
        from newsdrop.notify import wiring

        parameters.clear_caches()
        for factory in RUNTIMES:
            getattr(wiring, factory).cache_clear()
        self.store = subscriber_store
        self.wiring = wiring
        self.handlers = {
            name: _load(name) for name in ("subscribe", "notify", "fanout", "sender", "feedback")
        }
        self.clock_offset = 0.0
        self.shard_iterators: dict[str, str] = {}

    def close(self) -> None:
        """Give the process back as it was: environment, boto3's default session, cached runtimes."""
        import boto3

        for factory in RUNTIMES:
            getattr(self.wiring, factory).cache_clear()
        boto3.DEFAULT_SESSION = None
        os.environ.clear()
        os.environ.update(self._saved_env)

    # --- resources ---
    def _table(self, name: str, stream: bool = False) -> str:
        kwargs: dict[str, Any] = {}
        if stream:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        self.ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            **kwargs,
        )
        return name

    def _queue(self, name: str, redrive: int) -> tuple[str, str]:
        dlq = self.sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        url = self.sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": "720",
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(redrive)}
                ),
            },
        )["QueueUrl"]
        return url, dlq

    def queue_arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def queue_depth(self, url: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    # --- the runtimes (after first use) ---
    def sender(self):
        return self.wiring.sender_runtime().sender

    def speed_up(self) -> None:
        """No real sleeping in the bench: backoff sleeps are counted, lease time is a clock offset."""
        sender = self.sender()
        sender.sleep = lambda seconds: None
        sender.clock = lambda: time.time() + self.clock_offset

    # --- data ---
    def load_subscribers(self, n: int, *, seed: int = 7, everything_share: float = 0.3) -> list[tuple]:
        rng = random.Random(seed)
        signer = self.wiring.subscription_runtime().signer
        store = self.store.DynamoSubscriberStore(self.session.resource("dynamodb"), self.subscribers_table)
        rows = []
        for i in range(n):
            address = f"reader{i:07d}@example.org"
            everything = rng.random() < everything_share
            topics = [] if everything else sorted(rng.sample(TOPICS, rng.randint(1, 3)))
            rows.append((signer.subscriber_id(address), address, topics, everything))
        store.bulk_load_confirmed(rows, now=int(time.time()))
        return rows

    def put_article(self, slug: str, tags: list[str], *, title: str | None = None) -> dict[str, Any]:
        from datetime import UTC, datetime

        from newsdrop.ingest.store import article_to_item
        from newsdrop.models import Article, Tag

        article = Article(
            slug=slug,
            title=title or f"Breaking: {slug.replace('-', ' ')}",
            published=datetime(2026, 1, 5, 10, tzinfo=UTC),
            body="Body text.",
            body_format="text",
            excerpt="What happened, and why it matters to you.",
            word_count=2,
            reading_minutes=1,
            editor_tags=[Tag(key=t, label=t.replace("-", " ").title()) for t in tags[:1]],
            auto_tags=[Tag(key=t, label=t.replace("-", " ").title()) for t in tags[1:]],
            source_key=f"incoming/{slug}.md",
            content_hash=uuid.uuid4().hex,
        )
        item = article_to_item(article)
        self.session.resource("dynamodb").Table(self.articles_table).put_item(Item=item)
        return item

    # --- event delivery, as Lambda's event sources would ---
    def stream_records(self) -> list[dict[str, Any]]:
        """New records of the articles stream since the last call (moto dynamodbstreams get_records)."""
        from botocore.config import Config

        # botocore >= 1.40 sends stream calls to <account>.streams-ddb.<region>..., which moto 5.2 does
        # not route: the classic endpoint is the same API
        streams = self.session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
        arn = self.ddb.describe_table(TableName=self.articles_table)["Table"]["LatestStreamArn"]
        records = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            sid = shard["ShardId"]
            iterator = (
                self.shard_iterators.get(sid)
                or streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON")[
                    "ShardIterator"
                ]
            )
            response = streams.get_records(ShardIterator=iterator)
            self.shard_iterators[sid] = response["NextShardIterator"]
            for record in response["Records"]:
                records.append({**record, "eventSourceARN": arn})
        return json.loads(json.dumps(records, default=str))  # datetimes -> strings, like the JSON Lambda gets

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        return self.handlers[name].handler(event, FakeContext(f"newsdrop-{name}"))

    def drain(
        self,
        url: str,
        name: str,
        *,
        batch_size: int = 10,
        crash_rate: float = 0.0,
        rng: random.Random | None = None,
        max_rounds: int = 1_000_000,
    ) -> dict[str, int]:
        """Deliver the queue to the handler until it is empty: delete what succeeded, make failed
        messages visible again at once (the bench skips the wait), SQS redrives poison to the DLQ."""
        rng = rng or random.Random(0)
        arn = self.queue_arn(url)
        stats = Counter()
        for _ in range(max_rounds):
            messages = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=batch_size,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            event = {"Records": [_sqs_record(m, arn) for m in messages]}
            stats["invocations"] += 1
            try:
                response = self.invoke(name, event)
                if crash_rate and rng.random() < crash_rate:
                    raise SimulatedCrash("died before answering")
                failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
            except SimulatedCrash:
                stats["crashed_invocations"] += 1
                failed = {m["MessageId"] for m in messages}
                self.clock_offset += 301  # the visibility timeout (720 s) outlives the 300 s ledger lease
            except Exception:  # the handler raised: Lambda returns the whole batch to the queue
                stats["failed_invocations"] += 1
                failed = {m["MessageId"] for m in messages}
            for m in messages:
                if m["MessageId"] in failed:
                    stats["failed_messages"] += 1
                    self.sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    stats["ok_messages"] += 1
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return dict(stats)

    def redrive(self, dlq: str, url: str) -> int:
        moved = 0
        while messages := self.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []):
            for m in messages:
                self.sqs.send_message(QueueUrl=url, MessageBody=m["Body"])
                self.sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
                moved += 1
        return moved

    def sent_mail(self) -> list[tuple[str, str]]:
        """(article slug, recipient) of every message moto's SES accepted (SES v2 Raw sends are recorded
        by the SES v1 backend: ``get_backend("ses")[account][region].sent_messages``)."""
        from moto.backends import get_backend

        backend = get_backend("ses")["123456789012"][REGION]
        out = []
        for message in backend.sent_messages:
            raw = getattr(message, "raw_data", "")
            head = raw.split("\r\n\r\n", 1)[0].replace("\r\n", "\n")
            to, article = _TO_RE.search(head), _ARTICLE_RE.search(head)
            out.append((article.group(1).strip() if article else "", to.group(1).strip() if to else ""))
        return out


def _sqs_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": REGION,
    }


class FlakyMailer:
    """Wraps the real mailer: some sends fail before SES has them (throttle / transient), some kill
    the process before the send; ``after_accept`` kills it after SES accepted (the one window the
    ledger cannot close: reported separately)."""

    def __init__(
        self,
        inner,
        rng: random.Random,
        *,
        failure: float = 0.0,
        crash: float = 0.0,
        after_accept: float = 0.0,
    ):
        self.inner, self.rng = inner, rng
        self.failure, self.crash, self.after_accept = failure, crash, after_accept
        self.stats = Counter()

    def send(self, message):
        from newsdrop.notify.email import MailThrottled

        roll = self.rng.random()
        if roll < self.crash:
            self.stats["crash_before_send"] += 1
            raise SimulatedCrash("died mid-batch")
        if roll < self.crash + self.failure / 2:
            self.stats["throttled"] += 1
            raise MailThrottled("Maximum sending rate exceeded.")
        if roll < self.crash + self.failure:
            self.stats["transient"] += 1
            raise ConnectionError("SES endpoint reset the connection")
        message_id = self.inner.send(message)
        self.stats["accepted"] += 1
        if self.after_accept and self.rng.random() < self.after_accept:
            self.stats["crash_after_accept"] += 1
            raise SimulatedCrash("died after SES accepted")
        return message_id


def run(
    n: int,
    *,
    send_failure: float,
    crash: float,
    after_accept: float = 0.0,
    seed: int = 1,
    quiet: bool = False,
) -> dict[str, Any]:
    from moto import mock_aws

    with mock_aws():
        world = World()
        t0 = time.perf_counter()
        rows = world.load_subscribers(n, seed=seed)
        load_s = time.perf_counter() - t0
        tags = ["topic-03", "topic-11"]
        expected = {addr for sid, addr, topics, everything in rows if everything or set(topics) & set(tags)}
        world.sender()  # warm the runtime, then wrap its mailer
        world.speed_up()
        rng = random.Random(seed)
        # a process death mid-batch: ``crash`` per invocation, spread over the ~250 sends of an invocation
        flaky = FlakyMailer(
            world.sender().mailer, rng, failure=send_failure, crash=crash / 100, after_accept=after_accept
        )
        world.sender().mailer = flaky
        world.counters.calls.clear()
        world.counters.ddb_items_read = world.counters.ddb_items_written = (
            world.counters.sqs_messages_sent
        ) = 0

        t1 = time.perf_counter()
        world.put_article("big-news", tags)
        records = world.stream_records()
        notify_event = {"Records": records}
        world.invoke("notify", notify_event)
        world.invoke("notify", notify_event)  # a replayed stream batch: must add nothing
        fan = world.drain(world.fanout_url, "fanout", batch_size=1, crash_rate=crash, rng=rng)
        snd = world.drain(world.send_url, "sender", batch_size=5, crash_rate=crash, rng=rng)
        wall = time.perf_counter() - t1
        in_dlq = world.queue_depth(world.send_dlq) + world.queue_depth(world.fanout_dlq)
        missed_before_redrive = len(expected - {to for slug, to in world.sent_mail() if slug == "big-news"})
        if in_dlq:  # what an operator does after fixing the cause: redrive the DLQs, once
            world.redrive(world.fanout_dlq, world.fanout_url)
            world.redrive(world.send_dlq, world.send_url)
            world.drain(world.fanout_url, "fanout", batch_size=1, crash_rate=crash, rng=rng)
            world.drain(world.send_url, "sender", batch_size=5, crash_rate=crash, rng=rng)

        sent = Counter(to for slug, to in world.sent_mail() if slug == "big-news")
        duplicates = sum(c - 1 for c in sent.values() if c > 1)
        misses = len(expected - set(sent))
        strays = len(set(sent) - expected)
        calls = world.counters.calls
        recipients = max(1, len(expected))
        ddb_calls = sum(v for k, v in calls.items() if k.startswith("dynamodb."))
        result = {
            "subscribers": n,
            "recipients": len(expected),
            "load_s": round(load_s, 1),
            "wall_s": round(wall, 1),
            "ses_calls": calls["sesv2.SendEmail"],
            "emails_accepted": sum(sent.values()),
            "sqs_messages_sent": world.counters.sqs_messages_sent,
            "sqs_send_calls": calls["sqs.SendMessageBatch"] + calls["sqs.SendMessage"],
            "ddb_calls_per_recipient": round(ddb_calls / recipients, 2),
            "ddb_items_read_per_recipient": round(world.counters.ddb_items_read / recipients, 2),
            "ddb_items_written_per_recipient": round(world.counters.ddb_items_written / recipients, 2),
            "injected": dict(flaky.stats),
            "fanout": fan,
            "sender": snd,
            "dead_lettered_messages": in_dlq,
            "missed_before_dlq_redrive": missed_before_redrive,
            "dlq": {"fanout": world.queue_depth(world.fanout_dlq), "send": world.queue_depth(world.send_dlq)},
            "duplicates": duplicates,
            "misses": misses,
            "strays": strays,
        }
        world.close()
    if not quiet:
        print(json.dumps(result, indent=None))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--send-failure", type=float, default=0.05)
    parser.add_argument("--crash", type=float, default=0.02)
    parser.add_argument(
        "--after-accept",
        type=float,
        default=0.0,
        help="also crash after SES accepted (the at-least-once window): expect that many dupes",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="smallest run, for CI: 300 subscribers")
    args = parser.parse_args(argv)
    if args.smoke:
        args.subscribers = [300]
    worst = 0
    for n in args.subscribers:
        result = run(
            n,
            send_failure=args.send_failure,
            crash=args.crash,
            after_accept=args.after_accept,
            seed=args.seed,
        )
        r = result
        print(
            f"{n:>8,} subscribers -> {r['recipients']:,} recipients in {r['wall_s']} s "
            f"(+{r['load_s']} s loading): "
            f"{r['ses_calls']:,} SES calls, {r['sqs_messages_sent']:,} SQS messages, DynamoDB "
            f"{r['ddb_calls_per_recipient']} calls / {r['ddb_items_read_per_recipient']} items read / "
            f"{r['ddb_items_written_per_recipient']} items written per recipient; injected {r['injected']}; "
            f"dead-lettered messages {r['dead_lettered_messages']} (recipients missed until redriven: "
            f"{r['missed_before_dlq_redrive']}); duplicates {r['duplicates']}, misses {r['misses']}"
        )
        worst = max(worst, result["duplicates"] + result["misses"] + result["strays"])
    return 0 if worst == 0 or args.after_accept else 1


if __name__ == "__main__":
    raise SystemExit(main())
