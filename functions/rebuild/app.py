"""Rebuild requests -> the related index made canonical: a reindex in memory, only differing items written."""

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.ingest.store import ArticleStore
from newsdrop.observability import logger, metrics, tracer
from newsdrop.related.debounce import RebuildRequest, still_busy
from newsdrop.related.engine import rebuild
from newsdrop.related.store import DynamoDBRelatedIndex

request_rebuild = RebuildRequest(os.environ["REBUILD_QUEUE_URL"], int(os.environ["REBUILD_DELAY_SECONDS"]))
index = DynamoDBRelatedIndex(os.environ["RELATED_TABLE"], on_dirty=request_rebuild)
articles = ArticleStore(os.environ["ARTICLES_TABLE"])


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    # Every message asks for the same thing, so one rebuild answers the whole batch (and a failure,
    # raised, retries the whole batch).
    generation, dirty = index.rebuild_state()
    busy, deferrals = still_busy((r["body"] for r in event.get("Records", [])), generation, dirty)
    if busy:  # updates arrived during the wait: the burst is not over, wait one more quiet delay
        request_rebuild(generation, deferrals + 1)
        logger.info("related rebuild deferred", extra={"generation": generation, "deferrals": deferrals + 1})
        return {"batchItemFailures": [], "ran": False}
    outcome = rebuild(index, articles.iter_public_articles)
    if outcome.ran and not outcome.settled:
        # an update ran meanwhile and may have been overwritten: again, later
        request_rebuild(index.rebuild_state()[0])
    metrics.add_metric(name="RelatedItemsRebuilt", unit=MetricUnit.Count, value=outcome.items_changed)
    logger.info("related rebuild", extra={"requests": len(event.get("Records", [])), **vars(outcome)})
    return {"batchItemFailures": [], "ran": outcome.ran}
