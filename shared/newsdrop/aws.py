"""The one place boto3 clients and resources are made: once per container, on first use, never at import.

Creating a client costs 35-100 ms (botocore loads the service model) and, without credentials in the
environment, reaches for the instance metadata endpoint; doing it at import would put that into every
cold start, also of tools that only import a module. Every client retries throttling and 5xx answers
itself (botocore's "standard" mode: exponential backoff with jitter, a retry quota), so a blip of
failing calls is absorbed here instead of failing a whole batch up to a dead-letter queue.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

# Attempts per call, the first included. At 5% failing requests one call fails all five with p = 3e-7.
MAX_ATTEMPTS = int(os.environ.get("AWS_MAX_ATTEMPTS") or 5)


def retry_config() -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": os.environ.get("AWS_RETRY_MODE") or "standard", "max_attempts": MAX_ATTEMPTS}
    )


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service, config=retry_config())


@cache
def resource(service: str) -> Any:
    import boto3

    return boto3.resource(service, config=retry_config())
