"""Chaos on the local stack: AWS calls that fail, Lambda invocations that die, and the invariants after.

`FaultInjector` hooks botocore on the default boto3 session (which `newsdrop.aws` makes the functions'
clients from) and on the stack's session. While a function runs, and only then, a seeded fraction of
its DynamoDB, S3, SQS and SES traffic fails with the answer AWS would send (throttling or an internal
error, in the service's own wire format). Two layers (``layer``):

- ``"request"`` (default): each HTTP request fails with probability ``rate``, at ``before-send``,
  below botocore's retry loop, as a throttle or a 5xx does on the wire: the clients' retry policy
  (``newsdrop.aws``: standard mode, 5 attempts) sees every fault, and only what outlasts it reaches
  the code. Retry backoff is counted, not slept (``FaultStats.backoff_seconds``).
- ``"call"``: each API call fails with probability ``rate`` at ``before-call``, above the retries, so
  every fault reaches the application: the errors left once the SDK has given up, the harsh end.

A chosen fraction of invocations also die: after a random number of AWS calls (or at the very end,
the reply lost to a timeout) the invocation raises `LambdaKilled`, a ``BaseException`` no ``except
Exception`` in the code can swallow, which the dispatcher then sees as a crashed invocation.

`ChaosScenario` drops files into a deployed local stack, drives every event to rest (with the
template's scheduled redriver run as its schedule would, see ``redriver_every``), optionally plays the
operator (redrive every dead-letter queue after the alarm) and checks, from the stores only: every
drop stored or quarantined, every related list equal to a clean reindex, one email per matching
(subscriber, article), none for the others, no duplicates, every dead-letter queue empty.
"""

from __future__ import annotations

import io
import json
import random
import time
import types
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

import boto3
from botocore.exceptions import ClientError

from newsdrop.local.dispatch import Dispatcher
from newsdrop.local.moto_patches import clock
from newsdrop.local.stack import LocalFunction, LocalStack

FAULT_SERVICES = ("dynamodb", "s3", "sqs", "sesv2", "ses")

# (code, message, HTTP status) as each service really answers a throttle or an internal failure.
ERRORS: dict[str, list[tuple[str, str, int]]] = {
    "dynamodb": [
        (
            "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded.",
            400,
        ),
        ("ThrottlingException", "Rate of requests exceeds the allowed throughput.", 400),
        ("InternalServerError", "Internal server error", 500),
    ],
    "s3": [
        ("SlowDown", "Please reduce your request rate.", 503),
        ("InternalError", "We encountered an internal error. Please try again.", 500),
        ("ServiceUnavailable", "Service is unable to handle request.", 503),
    ],
    "sqs": [
        ("ThrottlingException", "Rate exceeded", 400),
        ("InternalError", "We encountered an internal error. Please try again.", 500),
        ("ServiceUnavailable", "Service is unable to handle request.", 503),
    ],
    "sesv2": [
        ("Throttling", "Maximum sending rate exceeded.", 400),
        ("TooManyRequestsException", "Too many requests.", 429),
        ("InternalFailure", "The request processing has failed because of an unknown error.", 500),
        ("ServiceUnavailable", "Service is unable to handle request.", 503),
    ],
}
ERRORS["ses"] = ERRORS["sesv2"]


class LambdaKilled(BaseException):
    """The invocation died (timeout, out of memory): nothing after this point in the handler runs."""


@dataclass
class FaultStats:
    calls: Counter[str] = field(default_factory=Counter)  # service -> calls made by functions
    injected: Counter[str] = field(default_factory=Counter)  # "service:Code" -> faults raised
    killed: Counter[str] = field(default_factory=Counter)  # function -> invocations killed
    invocations: int = 0
    requests: int = 0  # HTTP requests sent by functions (retries included)
    retries: int = 0  # of those, botocore's own retries
    backoff_seconds: float = 0.0  # what botocore would have slept between attempts

    @property
    def faults(self) -> int:
        return sum(self.injected.values())

    @property
    def kills(self) -> int:
        return sum(self.killed.values())


class FaultInjector:
    """Seeded faults in the AWS calls of the functions (never of the dispatcher or the checks)."""

    def __init__(
        self,
        rate: float = 0.0,
        *,
        kill_rate: float = 0.0,
        seed: int = 0,
        services: Iterable[str] = FAULT_SERVICES,
        max_calls_before_kill: int = 40,
        layer: str = "request",
    ):
        if layer not in ("request", "call"):
            raise ValueError(f"layer must be 'request' or 'call', not {layer!r}")
        self.layer = layer
        self.rate = rate
        self.kill_rate = kill_rate
        self.services = set(services)
        self.max_calls_before_kill = max_calls_before_kill
        self.rng = random.Random(seed)
        self.stats = FaultStats()
        self.enabled = True
        self._active: LocalFunction | None = None
        self._calls = 0
        self._kill_at: int | None = None
        self._emitters: list[Any] = []
        self._saved_time: Any = None
        # SES accepted a message but the invocation ended before the ledger said 'sent': the one window
        # the delivery design leaves for a duplicate (delivery.py's docstring). (slug, sid) pairs.
        self._unacked: set[tuple[str, str]] = set()
        self.unacked_sends: set[tuple[str, str]] = set()

    # -- wiring ------------------------------------------------------------------------------------
    def install(self, *sessions: boto3.session.Session) -> FaultInjector:
        for session in (boto3._get_default_session(), *sessions):
            emitter = session.events
            if any(e is emitter for e in self._emitters):
                continue
            emitter.register_first("before-call", self._before_call, unique_id="newsdrop-chaos-before")
            emitter.register_first("before-send", self._before_send, unique_id="newsdrop-chaos-send")
            emitter.register("after-call", self._after_call, unique_id="newsdrop-chaos-after")
            self._emitters.append(emitter)
        _moto_skips_faulted_requests()
        if self._saved_time is None:
            import botocore.endpoint

            # botocore sleeps between attempts with time.sleep: counted here, not slept
            self._saved_time = botocore.endpoint.time
            botocore.endpoint.time = types.SimpleNamespace(  # type: ignore[attr-defined]
                **{k: getattr(time, k) for k in dir(time) if not k.startswith("_")}
            )
            botocore.endpoint.time.sleep = self._backoff
        return self

    def uninstall(self) -> None:
        for emitter in self._emitters:
            emitter.unregister("before-call", unique_id="newsdrop-chaos-before")
            emitter.unregister("before-send", unique_id="newsdrop-chaos-send")
            emitter.unregister("after-call", unique_id="newsdrop-chaos-after")
        self._emitters.clear()
        if self._saved_time is not None:
            import botocore.endpoint

            botocore.endpoint.time = self._saved_time  # type: ignore[attr-defined]
            self._saved_time = None

    def _backoff(self, seconds: float) -> None:
        self.stats.backoff_seconds += seconds
        if self._active is not None:
            self.stats.retries += 1

    def wrap(self, stack: LocalStack, on_invoke: Callable[[LocalFunction], None] | None = None) -> None:
        """Gate injection on the functions' own runs: each LocalFunction's invoke is wrapped."""
        for fn in stack.functions.values():
            if getattr(fn, "_chaos_wrapped", False):
                continue
            original = fn.invoke

            def invoke(event: dict[str, Any], _fn: LocalFunction = fn, _orig=original) -> Any:
                if on_invoke:
                    on_invoke(_fn)
                return self._run(_fn, _orig, event)

            fn.invoke = invoke  # type: ignore[method-assign]
            fn._chaos_wrapped = True  # type: ignore[attr-defined]

    def _run(
        self, fn: LocalFunction, original: Callable[[dict[str, Any]], Any], event: dict[str, Any]
    ) -> Any:
        self.stats.invocations += 1
        self._active, self._calls, self._unacked = fn, 0, set()
        doomed = self.enabled and self.kill_rate > 0 and self.rng.random() < self.kill_rate
        self._kill_at = self.rng.randint(1, self.max_calls_before_kill) if doomed else None
        try:
            result = original(event)
            if self._kill_at is not None:  # did its work, but the reply was lost to a timeout
                raise LambdaKilled(f"{fn.logical_id} timed out after {self._calls} AWS calls")
            return result
        except LambdaKilled as killed:
            self.stats.killed[fn.logical_id] += 1
            raise RuntimeError(f"Task timed out: {killed}") from None
        finally:
            self.unacked_sends |= self._unacked
            self._active, self._kill_at = None, None

    @contextmanager
    def paused(self) -> Iterator[None]:
        enabled, self.enabled = self.enabled, False
        try:
            yield
        finally:
            self.enabled = enabled

    # -- botocore events ---------------------------------------------------------------------------
    def _before_call(self, model: Any = None, params: Any = None, **kwargs: Any) -> None:
        if self._active is None or not self.enabled:
            return
        service = model.service_model.service_name
        if service not in self.services:
            return
        self._calls += 1
        self.stats.calls[service] += 1
        if self._kill_at is not None and self._calls >= self._kill_at:
            raise LambdaKilled(f"{self._active.logical_id} died before call {self._calls} ({model.name})")
        if self.layer == "call" and self.rate > 0 and self.rng.random() < self.rate:
            code, message, status = self.rng.choice(ERRORS[service])
            self.stats.injected[f"{service}:{code}"] += 1
            raise ClientError(
                {
                    "Error": {"Code": code, "Message": message},
                    "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "chaos"},
                },
                model.name,
            )

    def _before_send(self, request: Any = None, event_name: str = "", **kwargs: Any) -> Any:
        """A failed HTTP answer instead of the real one: botocore parses it and retries per its policy."""
        if self._active is None or not self.enabled:
            return None
        service = event_name.split(".")[1] if event_name.count(".") >= 2 else ""
        if service not in self.services:
            return None
        self.stats.requests += 1
        if self.layer != "request" or self.rate <= 0 or self.rng.random() >= self.rate:
            return None
        code, message, status = self.rng.choice(ERRORS[service])
        self.stats.injected[f"{service}:{code}"] += 1
        request.chaos_fault = True  # botocore calls every before-send handler: moto must not answer it
        return _error_response(request.url, service, code, message, status)

    def _after_call(self, model: Any = None, parsed: Any = None, context: Any = None, **kwargs: Any) -> None:
        if self._active is None or not isinstance(parsed, dict):
            return
        if parsed.get("Error"):
            return
        params = (context or {}).get("chaos_params")
        service, op = model.service_model.service_name, model.name
        if service in ("sesv2", "ses") and op in ("SendEmail", "SendRawEmail"):
            tags = {t.get("Name"): t.get("Value") for t in (params or {}).get("EmailTags") or []}
            if tags.get("slug") and tags.get("sid"):
                self._unacked.add((tags["slug"], tags["sid"]))
        elif service == "dynamodb" and op == "UpdateItem" and params:
            pk = _plain(params.get("Key", {}).get("pk"))
            sent = _plain(params.get("ExpressionAttributeValues", {}).get(":sent"))
            if isinstance(pk, str) and pk.startswith("DELIVERY#") and sent == "sent":
                slug, _, sid = pk.removeprefix("DELIVERY#").rpartition("#")
                self._unacked.discard((slug, sid))


def scheduled_event(function_arn: str) -> dict[str, Any]:
    """The EventBridge "Scheduled Event" a schedule rule sends its target (the redriver validates it)."""
    from datetime import UTC, datetime

    _, _, _, region, account, *_ = function_arn.split(":")
    return {
        "version": "0",
        "id": f"local-{clock.time():.0f}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.fromtimestamp(clock.time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/redriver-schedule"],
        "detail": {},
    }


def _moto_skips_faulted_requests() -> None:
    """botocore emits ``before-send`` to every handler and keeps the first answer: ours, for a faulted
    request, but moto would still carry the request out (an email sent, an item written) behind an
    error. A faulted request must not reach the service, as a throttle does not."""
    try:
        from moto.core.botocore_stubber import BotocoreStubber
    except ImportError:
        return
    if getattr(BotocoreStubber.__call__, "_chaos", False):
        return
    answer = BotocoreStubber.__call__

    def __call__(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        if getattr(request, "chaos_fault", False):
            return None
        return answer(self, event_name, request, **kwargs)

    __call__._chaos = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = __call__  # type: ignore[method-assign]


class _RawBody(io.BytesIO):
    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        while chunk := self.read(65536):
            yield chunk


def _error_response(url: str, service: str, code: str, message: str, status: int) -> Any:
    """The error as the service's protocol puts it on the wire (JSON 1.0, REST-JSON, REST-XML, query)."""
    from botocore.awsrequest import AWSResponse

    headers = {"x-amzn-RequestId": "chaos"}
    if service == "dynamodb":
        headers["Content-Type"] = "application/x-amz-json-1.0"
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
    elif service == "sqs":
        headers |= {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": f"{code};Sender"}
        body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": message})
    elif service == "sesv2":
        headers |= {"Content-Type": "application/json", "x-amzn-ErrorType": code}
        body = json.dumps({"message": message})
    elif service == "s3":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    else:  # query protocol (SES v1)
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            "</Error><RequestId>chaos</RequestId></ErrorResponse>"
        )
    return AWSResponse(url, status, headers, _RawBody(body.encode()))


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


def _plain(value: Any) -> Any:
    """A parameter as the resource gave it, or as the client sends it ({"S": ...})."""
    return value.get("S") if isinstance(value, dict) else value


def _remember_params(params: Any = None, context: Any = None, **kwargs: Any) -> None:
    if context is not None:
        context["chaos_params"] = params


# ------------------------------------------------------------------------------------------------------
# The scenario


@dataclass
class DropFile:
    name: str  # key under the incoming prefix
    body: bytes


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
            emitter.register("before-parameter-build", _remember_params, unique_id="newsdrop-chaos-params")
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
            event = scheduled_event(self.stack.functions["RedriverFunction"].arn)
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


# ------------------------------------------------------------------------------------------------------
# Made-up articles and readers (no third-party text)

TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "harbour": (
        ["ferry", "pier", "tide", "dock", "cargo", "crane", "quay", "vessel", "berth", "lighthouse"],
        ["Port Ellery", "Captain Mara Voss", "Saltmarsh Authority"],
    ),
    "rail": (
        ["train", "signal", "platform", "timetable", "track", "carriage", "station", "commuter", "fare"],
        ["Northline Rail", "Kestrel Junction", "Ines Albany"],
    ),
    "weather": (
        ["storm", "rainfall", "forecast", "wind", "flood", "gust", "drought", "frost", "heatwave"],
        ["Met Bureau", "Calder Valley", "Otto Brennan"],
    ),
    "football": (
        ["striker", "goal", "league", "keeper", "transfer", "stadium", "derby", "penalty", "manager"],
        ["Riverton Rovers", "Harbourside United", "Lucia Ferraz"],
    ),
    "cricket": (
        ["wicket", "innings", "bowler", "batsman", "pitch", "over", "boundary", "umpire", "century"],
        ["Eastbridge County", "Dev Ramaswamy", "Oakfield Ground"],
    ),
    "economy": (
        ["inflation", "rates", "bank", "growth", "wages", "bond", "budget", "deficit", "exports"],
        ["Central Reserve", "Minister Hale", "Treasury Board"],
    ),
    "technology": (
        ["chip", "software", "startup", "cloud", "network", "device", "battery", "processor", "data"],
        ["Quillon Labs", "Aster Devices", "Priya Lindqvist"],
    ),
    "health": (
        ["hospital", "clinic", "vaccine", "nurse", "patients", "surgery", "ward", "doctor", "therapy"],
        ["St Brigid Hospital", "Health Council", "Dr Tomas Ueda"],
    ),
    "music": (
        ["album", "festival", "concert", "band", "singer", "chart", "tour", "guitar", "orchestra"],
        ["The Lantern Set", "Millbrook Festival", "Nadia Roux"],
    ),
    "elections": (
        ["ballot", "vote", "candidate", "poll", "campaign", "turnout", "parliament", "coalition", "party"],
        ["Civic Union", "Senator Okafor", "Electoral Office"],
    ),
    "farming": (
        ["harvest", "wheat", "cattle", "orchard", "tractor", "soil", "barley", "dairy", "irrigation"],
        ["Greenacre Co-op", "Marta Kowal", "Fenland Plain"],
    ),
    "space": (
        ["rocket", "orbit", "satellite", "launch", "telescope", "lunar", "probe", "astronaut", "payload"],
        ["Solace Agency", "Vega Pad", "Commander Iris Tan"],
    ),
}
COMMON = [
    "the",
    "a",
    "said",
    "on",
    "in",
    "after",
    "with",
    "from",
    "as",
    "officials",
    "told",
    "reporters",
    "this",
    "week",
    "that",
    "would",
    "be",
]


def generated_articles(n: int, *, seed: int = 1, start: str = "2025-06-01T08:00:00+00:00") -> list[DropFile]:
    """``n`` made-up Markdown articles, one hour apart, each about one or two of TOPICS."""
    from datetime import datetime, timedelta

    rng = random.Random(seed)
    base = datetime.fromisoformat(start)
    names = sorted(TOPICS)
    files = []
    for i in range(n):
        main = rng.choice(names)
        second = rng.choice(names) if rng.random() < 0.35 else None
        topics = [main] + ([second] if second and second != main else [])
        words = [w for t in topics for w in TOPICS[t][0]]
        people = [p for t in topics for p in TOPICS[t][1]]
        title_words = rng.sample(TOPICS[main][0], 3)
        title = f"{rng.choice(TOPICS[main][1])} {title_words[0]} {title_words[1]} and {title_words[2]} {i}"
        paragraphs = []
        for _ in range(rng.randint(3, 6)):
            sentences = []
            for _ in range(rng.randint(2, 4)):
                bag = rng.sample(words, 5) + rng.sample(COMMON, 4)
                rng.shuffle(bag)
                sentences.append(f"{rng.choice(people)} {' '.join(bag)}.")
            paragraphs.append(" ".join(sentences))
        date = (base + timedelta(hours=i)).isoformat()
        body = (
            f"---\ntitle: {title.capitalize()}\nauthor: Desk {i % 7}\ndate: {date}\n"
            f"tags: {', '.join(topics)}\n---\n\n" + "\n\n".join(paragraphs) + "\n"
        )
        files.append(DropFile(name=f"gen/{i:05d}-{main}.md", body=body.encode()))
    return files


def generated_bad_files(n: int, *, seed: int = 2) -> list[DropFile]:
    """Files that must end in quarantine: no title, empty, broken JSON, not text."""
    rng = random.Random(seed)
    kinds = [
        ("md", b"---\nauthor: Nobody\n---\n\nA body without a title.\n"),
        ("md", b""),
        ("json", b'{"title": "Unclosed'),
        ("docx", b"PK\x03\x04 not really a document"),
    ]
    files = []
    for i in range(n):
        ext, body = kinds[rng.randrange(len(kinds))]
        files.append(DropFile(name=f"bad/{i:04d}.{ext}", body=body))
    return files


def readers(
    n: int, topics: list[str], *, seed: int = 3, everything_share: float = 0.02
) -> list[tuple[str, list[str], bool]]:
    """``n`` readers: a few follow everything, the rest one or two of ``topics``."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        everything = rng.random() < everything_share
        chosen = [] if everything else sorted(rng.sample(topics, rng.randint(1, min(2, len(topics)))))
        rows.append((f"reader{i:06d}@example.org", chosen, everything))
    return rows


def published_order(files: list[DropFile]) -> list[DropFile]:
    """Good files in (published, slug) order, undated ones after them, bad ones last: the order
    ``reindex_all`` replays, so a fault-free run and a clean reindex agree list for list."""
    from newsdrop.ingest.parsing import parse_article
    from newsdrop.ingest.text import slugify
    from newsdrop.models import RejectedInput

    dated, undated, bad = [], [], []
    for f in files:
        try:
            draft = parse_article(f.body, f.name)
        except RejectedInput:
            bad.append(f)
            continue
        slug = slugify(draft.slug) if draft.slug else slugify(draft.title)
        (dated if draft.date else undated).append((draft.date, slug, f))
    dated.sort(key=lambda t: (t[0], t[1]))
    return [f for _, _, f in dated] + [f for _, _, f in undated] + bad
