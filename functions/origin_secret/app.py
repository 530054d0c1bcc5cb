"""Rotates the secret header CloudFront adds on its way to the subscription API (``newsdrop.notify.origin``).
Secrets Manager calls it once per rotation step."""

import os

from newsdrop import aws
from newsdrop.event_models import parse
from newsdrop.notify.origin import RotationEvent, rotation_step
from newsdrop.observability import initialised, logger


@logger.inject_lambda_context
def handler(event, context):
    step = parse(event, RotationEvent)  # or a ValidationError naming the field
    rotation_step(
        step,
        secrets=aws.client("secretsmanager"),
        cloudfront=aws.client("cloudfront"),
        distribution_id=os.environ["DISTRIBUTION_ID"],
    )
    logger.info("origin secret rotation step done", extra={"step": step.Step})


initialised()  # the end of the cold start's imports (newsdrop.observability)
