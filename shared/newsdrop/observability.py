"""One Logger, Tracer and Metrics setup for every function (service name and namespace come from env)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
