"""Articles stream (live items stored, changed, withdrawn) + related stream (lists changed) -> the pages,
feeds and API documents they touch, written to the site bucket; one CloudFront invalidation per batch."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.observability import logger, metrics, tracer
from newsdrop.site.wiring import changed_slugs, publisher_runtime


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    # A failure raises: the mapping retries the batch (everything is rendered from stored state, so a
    # retry writes the same objects), bisects it, then sends it to the dead-letter queue.
    articles, related = changed_slugs(event.get("Records", []))
    report = publisher_runtime().publish(articles, related)
    metrics.add_metric(name="SiteObjectsWritten", unit=MetricUnit.Count, value=report.written)
    metrics.add_metric(name="SiteObjectsDeleted", unit=MetricUnit.Count, value=report.deleted)
    logger.info("site published", extra={"articles": articles, "related": related, **vars(report)})
    return {"written": report.written, "deleted": report.deleted, "invalidation": report.invalidation_id}
