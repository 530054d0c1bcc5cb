"""Subscriber HTTP API (routes, models and pages: ``newsdrop.notify.api``), on SnapStart."""

from newsdrop.notify import origin, snapstart
from newsdrop.notify.api import app
from newsdrop.notify.http import edge_refusal
from newsdrop.notify.wiring import origin_guard, own_origins
from newsdrop.observability import initialised, logger, tracer

snapstart.register()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    return (
        origin.refusal(event, origin_guard())
        or edge_refusal(event, own_origins(event))
        or app.resolve(event, context)
    )


initialised()  # the end of the cold start's imports (newsdrop.observability)
