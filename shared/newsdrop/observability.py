"""One Logger, Tracer and Metrics setup for every function (service name and namespace come from env)."""

import functools
import logging
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers


def tracing_enabled() -> bool:
    """Powertools' own rule: on Lambda (not SAM local / Chalice) unless POWERTOOLS_TRACE_DISABLED."""
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in (
        "1",
        "true",
        "yes",
        "on",
        "y",
        "t",
    ):
        return False
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not (
        os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE")
    )


class LazyTracer:
    """Powertools' Tracer, made on the first invocation and only when tracing is on.

    ``Tracer()`` imports aws_xray_sdk (and, outside Lambda, builds X-Ray clients for its sampler) even
    when tracing is disabled: ~150-300 ms of every cold start. Decorators applied at import keep their
    place and decide on the first call: the real Tracer's wrapper when tracing is on, the bare function
    when it is off. Annotations and metadata are dropped when tracing is off, as Powertools does."""

    def __init__(self) -> None:
        self._tracer: Any | None = None

    @property
    def real(self) -> Any:
        if self._tracer is None:
            from aws_lambda_powertools import Tracer

            # Only botocore is patched: the functions make no other outgoing calls (no requests, httpx,
            # sqlite3...), and patching every library X-Ray supports adds a fifth again to the Tracer's
            # share of the first invocation (bench/cold_start.py --instructions --breakdown).
            self._tracer = Tracer(patch_modules=["botocore"])
        return self._tracer

    def _deferred(self, decorator: str, fn: Callable[..., Any], **options: Any) -> Callable[..., Any]:
        chosen: Callable[..., Any] | None = None

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal chosen
            if chosen is None:
                chosen = getattr(self.real, decorator)(fn, **options) if tracing_enabled() else fn
            return chosen(*args, **kwargs)

        return call

    def capture_lambda_handler(self, fn: Callable[..., Any] | None = None, **options: Any) -> Any:
        if fn is None:
            return functools.partial(self.capture_lambda_handler, **options)
        return self._deferred("capture_lambda_handler", fn, **options)

    def capture_method(self, fn: Callable[..., Any] | None = None, **options: Any) -> Any:
        if fn is None:
            return functools.partial(self.capture_method, **options)
        return self._deferred("capture_method", fn, **options)

    def put_annotation(self, key: str, value: Any) -> None:
        if tracing_enabled():
            self.real.put_annotation(key=key, value=value)

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        if tracing_enabled():
            self.real.put_metadata(key=key, value=value, namespace=namespace)


logger = Logger()
tracer = LazyTracer()
metrics = Metrics()


def initialised() -> None:
    """The end of a handler module's imports: what they made is frozen out of the cyclic garbage
    collector's reach (it lives as long as the container), and the collector, paused for them by
    ``newsdrop/__init__.py`` on Lambda, runs again for the invocations. Each handler calls this on its
    last line. Off Lambda, where nothing was paused, it does nothing."""
    import gc

    import newsdrop

    if newsdrop.gc_paused_for_imports:
        newsdrop.gc_paused_for_imports = False
        gc.freeze()
        gc.enable()


def structured_domain_logs() -> None:
    """Domain modules log through plain `logging.getLogger(__name__)` (they know nothing of Lambda);
    give those loggers the Powertools JSON format, so their lines carry the correlation id too."""
    names = {name for name in logging.root.manager.loggerDict if name.startswith("newsdrop.")}
    if names:
        copy_config_to_registered_loggers(source_logger=logger, include=names)


structured_domain_logs()


class BatchHandler:
    """The Lambda handler of a queue or stream consumer: each record parsed with ``model`` and handled
    on its own, failures reported per item (ReportBatchItemFailures) so only they are retried
    (``newsdrop.partial_batch``); logs, traces and metrics set up as everywhere. ``event_type`` is "SQS"
    or "DynamoDBStreams".

    ``model`` returns the Powertools Parser model of one record (``newsdrop.event_models``), made on the
    first invocation: the record handler gets the parsed model. A record that does not validate is
    logged with the fields at fault and reported as a batch item failure, without reaching the record
    handler and without holding up the others."""

    def __init__(
        self,
        record_handler: Callable[[Any], Any],
        event_type: str,
        model: Callable[[], type],
    ) -> None:
        self._record_handler = record_handler
        self._event_type = event_type
        self._model = model
        self._handle: Callable[[dict, Any], dict] | None = None
        self.lambda_context: Any = None

    @property
    def time_left(self) -> Callable[[], float] | None:
        """Seconds left in the current invocation, for records that page through work; None off Lambda."""
        context = self.lambda_context
        if context is None:
            return None
        return lambda: context.get_remaining_time_in_millis() / 1000

    def __call__(self, event: dict, context: Any) -> dict:
        if self._handle is None:
            self._handle = self._build()
        self.lambda_context = context
        return self._handle(event, context)

    def _build(self) -> Callable[[dict, Any], dict]:
        from newsdrop.partial_batch import process_partial_batch

        model = self._model()
        record_handler, event_type = self._record_handler, self._event_type

        @logger.inject_lambda_context
        @tracer.capture_lambda_handler
        @metrics.log_metrics
        def handle(event: dict, context: Any) -> dict:
            return process_partial_batch(event, record_handler, model, event_type)

        return handle
