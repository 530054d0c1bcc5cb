"""Schedule -> dead letters sent back where they came from, at most MAX_REDRIVES times each."""

import os

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop import aws
from newsdrop.event_models import parse, scheduled_event
from newsdrop.observability import initialised, logger, metrics, tracer
from newsdrop.redrive import Redriver, parse_queue_routes


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    parse(event, scheduled_event())  # its schedule's event, or a ValidationError naming the field
    report = Redriver(
        aws.client("sqs"),
        queue_routes=parse_queue_routes(os.environ.get("REDRIVE_QUEUES", "")),
        max_redrives=int(os.environ.get("MAX_REDRIVES") or 3),
        lambda_client=aws.client("lambda"),
        ingest_dlq=os.environ.get("INGEST_DLQ_URL"),
        ingest_function=os.environ.get("INGEST_FUNCTION"),
        related_dlq=os.environ.get("RELATED_DLQ_URL"),
        rebuild_queue=os.environ.get("REBUILD_QUEUE_URL"),
    ).run()
    metrics.add_metric(name="DeadLettersRedriven", unit=MetricUnit.Count, value=report.moved)
    metrics.add_metric(name="DeadLettersKept", unit=MetricUnit.Count, value=report.kept)
    logger.info("redrive", extra=vars(report))
    return vars(report)


initialised()  # the end of the cold start's imports (newsdrop.observability)
