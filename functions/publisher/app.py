"""Articles stream (live items stored, changed, withdrawn) + related stream (lists changed) -> the pages,
feeds and API documents they touch, written to the site bucket; one CloudFront invalidation per batch."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.event_models import stream_record, until_malformed
from newsdrop.observability import initialised, logger, metrics, tracer
from newsdrop.site.wiring import publisher_runtime


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    # Records that fail are reported (ReportBatchItemFailures): the mapping retries from the first, up
    # to its retry limit, then sends the batch to the dead-letter queue. Everything is rendered from the
    # stored state, so a retried record writes the same objects. A record that does not validate ends
    # the batch there: the ones before it are published, and it is reported.
    records, malformed = until_malformed(event.get("Records", []), stream_record())
    report, failed = publisher_runtime().handle(records)
    failed = failed or ([malformed] if malformed else [])
    metrics.add_metric(name="SiteObjectsWritten", unit=MetricUnit.Count, value=report.written)
    metrics.add_metric(name="SiteObjectsDeleted", unit=MetricUnit.Count, value=report.deleted)
    logger.info("site published", extra={**report._asdict(), "failed": failed})
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}


initialised()  # the end of the cold start's imports (newsdrop.observability)
