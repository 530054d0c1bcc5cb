"""One Logger, Tracer and Metrics setup for every function (service name and namespace come from env)."""

import logging

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def structured_domain_logs() -> None:
    """Domain modules log through plain `logging.getLogger(__name__)` (they know nothing of Lambda);
    give those loggers the Powertools JSON format, so their lines carry the correlation id too."""
    names = {name for name in logging.root.manager.loggerDict if name.startswith("newsdrop.")}
    if names:
        copy_config_to_registered_loggers(source_logger=logger, include=names)


structured_domain_logs()
