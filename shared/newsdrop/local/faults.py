"""Faults on the local stack: AWS calls that fail and Lambda invocations that die.

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

The run that uses it, and checks the invariants after, is `newsdrop.local.chaos.ChaosScenario`.
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
from typing import Any

import boto3
from botocore.exceptions import ClientError

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


def _plain(value: Any) -> Any:
    """A parameter as the resource gave it, or as the client sends it ({"S": ...})."""
    return value.get("S") if isinstance(value, dict) else value


def remember_params(params: Any = None, context: Any = None, **kwargs: Any) -> None:
    """A botocore ``before-parameter-build`` hook: keeps a call's parameters where the injector's
    ``before-call`` hook can read them (``chaos_params``)."""
    if context is not None:
        context["chaos_params"] = params
