"""One Logger, Tracer and Metrics setup for every function (service name and namespace come from env)."""

import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def structured_domain_logs() -> None:
    """Domain modules log through plain `logging.getLogger(__name__)` (they know nothing of Lambda);
    give those loggers the Powertools JSON format, so their lines carry the correlation id too."""
    names = {name for name in logging.root.manager.loggerDict if name.startswith("newsdrop.")}
    if names:
        copy_config_to_registered_loggers(source_logger=logger, include=names)


structured_domain_logs()


def batch_handler(record_handler: Callable[[Any], Any], event_type: Any) -> Callable[[dict, Any], dict]:
    """The Lambda handler of a queue or stream consumer: each record handled on its own, failures
    reported per item (ReportBatchItemFailures) so only they are retried; logs, traces and metrics set
    up as everywhere. `handler.processor.lambda_context` gives records the time left."""
    # Imported here: the batch utilities cost ~50 ms of cold start that the ingest function never needs.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, process_partial_response

    processor = BatchProcessor(event_type=event_type, raise_on_entire_batch_failure=False)

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handler(event: dict, context: Any) -> dict:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    handler.processor = processor  # type: ignore[attr-defined]
    return handler
