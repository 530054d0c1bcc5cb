"""Rotates the secret header CloudFront adds on its way to the subscription API (``newsdrop.notify.origin``).
Secrets Manager calls it once per rotation step."""

import os

from newsdrop import aws
from newsdrop.event_models import parse
from newsdrop.notify.origin import RotationEvent, rotation_step
from newsdrop.observability import logger


@logger.inject_lambda_context
def handler(event: dict, context):
    # Powertools' parse, as its event_parser decorator would call it, but with the Parser imported on
    # the first invocation (newsdrop.event_models.parse), not at import: a ValidationError names the field
    event = parse(event, RotationEvent)
    rotation_step(
        event,
        secrets=aws.client("secretsmanager"),
        cloudfront=aws.client("cloudfront"),
        distribution_id=os.environ["DISTRIBUTION_ID"],
    )
    logger.info("origin secret rotation step done", extra={"step": event.Step})
