"""One-time schedule fired -> the article's timed transition (scheduled -> published, -> expired), written
to its CURRENT item only if it is still the revision the schedule was made for, in a state it may leave."""

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.event_models import parse
from newsdrop.ingest.schedules import TransitionRequest
from newsdrop.ingest.store import ArticleStore
from newsdrop.lifecycle import TRANSITIONS
from newsdrop.observability import initialised, logger, metrics, tracer

articles = ArticleStore(os.environ["ARTICLES_TABLE"])


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    request = parse(event, TransitionRequest)  # ValidationError naming the field: the schedule's DLQ
    from_states, to = TRANSITIONS[request.action]
    moved = articles.transition(request.slug, request.revision, from_states, to)
    if moved is not None:
        logger.set_correlation_id(moved.correlation_id)
        metrics.add_metric(name=f"Articles{to.capitalize()}", unit=MetricUnit.Count, value=1)
    # A second firing, a late one, or one for a replaced revision: nothing to do, and nothing to retry.
    logger.info("timed transition", extra={**request.as_json(), "applied": moved is not None})
    return {"slug": request.slug, "action": request.action, "applied": moved is not None}


initialised()  # the end of the cold start's imports (newsdrop.observability)
