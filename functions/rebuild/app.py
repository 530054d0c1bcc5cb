"""Rebuild requests -> the related index made canonical: a reindex in memory, only differing items written."""

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.ingest.store import ArticleStore
from newsdrop.observability import logger, metrics, tracer
from newsdrop.related.engine import rebuild
from newsdrop.related.store import DynamoDBRelatedIndex, RebuildRequests

request_rebuild = RebuildRequests(os.environ["REBUILD_QUEUE_URL"], int(os.environ["REBUILD_DELAY_SECONDS"]))
index = DynamoDBRelatedIndex(os.environ["RELATED_TABLE"], on_dirty=request_rebuild)
articles = ArticleStore(os.environ["ARTICLES_TABLE"])


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    # Every message asks for the same thing, so one rebuild answers the whole batch (and a failure,
    # raised, retries the whole batch).
    outcome = rebuild(index, articles.iter_public_articles)
    if outcome.ran and not outcome.settled:
        request_rebuild()  # an update ran meanwhile and may have been overwritten: again, later
    metrics.add_metric(name="RelatedItemsRebuilt", unit=MetricUnit.Count, value=outcome.items_changed)
    logger.info("related rebuild", extra={"requests": len(event.get("Records", [])), **vars(outcome)})
    return {"batchItemFailures": []}
