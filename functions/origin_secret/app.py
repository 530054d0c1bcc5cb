"""Rotates the secret header CloudFront adds on its way to the subscription API (``newsdrop.notify.origin``).
Secrets Manager calls it once per rotation step."""

import os

from aws_lambda_powertools.utilities.parser import event_parser

from newsdrop import aws
from newsdrop.notify.origin import RotationEvent, rotation_step
from newsdrop.observability import logger


@logger.inject_lambda_context
@event_parser(model=RotationEvent)
def handler(event: RotationEvent, context):
    rotation_step(
        event,
        secrets=aws.client("secretsmanager"),
        cloudfront=aws.client("cloudfront"),
        distribution_id=os.environ["DISTRIBUTION_ID"],
    )
    logger.info("origin secret rotation step done", extra={"step": event.Step})
