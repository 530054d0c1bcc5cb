"""Rebuild requests -> the related index made canonical: a reindex in memory, only differing items written."""

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.event_models import queue_record
from newsdrop.ingest.store import ArticleStore
from newsdrop.observability import initialised, logger, metrics, tracer
from newsdrop.related.debounce import RebuildMessage, RebuildRequest, still_busy
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
    # raised, retries the whole batch). A message that does not validate is reported on its own: it
    # goes to the dead-letter queue after its retries, and asks for nothing.
    requests, malformed = parse_requests(event.get("Records", []))
    failures = [{"itemIdentifier": message_id} for message_id in malformed]
    generation, dirty = index.rebuild_state()
    busy, deferrals = still_busy(requests, generation, dirty)
    if busy:  # updates arrived during the wait: the burst is not over, wait one more quiet delay
        request_rebuild(generation, deferrals + 1)
        logger.info("related rebuild deferred", extra={"generation": generation, "deferrals": deferrals + 1})
        return {"batchItemFailures": failures, "ran": False}
    outcome = rebuild(index, articles.iter_public_articles)
    if outcome.ran and not outcome.settled:
        # an update ran meanwhile and may have been overwritten: again, later
        request_rebuild(index.rebuild_state()[0])
    metrics.add_metric(name="RelatedItemsRebuilt", unit=MetricUnit.Count, value=outcome.items_changed)
    logger.info("related rebuild", extra={"requests": len(event.get("Records", [])), **vars(outcome)})
    return {"batchItemFailures": failures, "ran": outcome.ran}


def parse_requests(records: list[dict]) -> tuple[list[RebuildMessage], list[str]]:
    """(the valid requests, the message ids of the malformed ones), each record parsed by its model."""
    from pydantic import ValidationError

    model, requests, malformed = queue_record(RebuildMessage), [], []
    for record in records:
        try:
            requests.append(model.model_validate(record).body)
        except ValidationError as exc:
            logger.warning(
                "rebuild request rejected",
                extra={"errors": exc.errors(include_url=False, include_input=False)},
            )
            if not isinstance(record, dict) or not isinstance(record.get("messageId"), str):
                raise
            malformed.append(record["messageId"])
    return requests, malformed


initialised()  # the end of the cold start's imports (newsdrop.observability)
