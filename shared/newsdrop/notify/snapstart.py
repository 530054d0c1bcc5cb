"""SnapStart runtime hooks of the subscribe function (the one function a reader waits on).

Lambda snapshots the initialised function once per published version and restores every new execution
environment from it. Whatever was made before the snapshot is then shared by every copy: so the hooks
warm only what is the same for everyone (the models' validators, the address validator, the templates)
and, after a restore, re-seed ``random`` and drop every cached client, credential and secret, so that no
two copies share a connection, credentials that may have expired, or a random sequence.
``snapshot_restore_py`` is part of the Lambda Python runtime (the tests install it from the dev extra).
"""

from __future__ import annotations

import os
import random


def before_snapshot() -> None:
    """Pay at snapshot time what every first request would pay: pydantic's validators, email-validator,
    Jinja2 and the page templates. Nothing here makes a client or reads a secret."""
    from newsdrop.notify import email
    from newsdrop.notify.api_models import SubscribeRequest

    SubscribeRequest.model_validate({"email": "warm-up@example.com", "topics": ["warm-up"]})
    email._jinja().get_template("confirmation.html")


def after_restore() -> None:
    """Make this copy unique again, and forget what may be stale or shared."""
    from aws_lambda_powertools.utilities import parameters

    from newsdrop import aws
    from newsdrop.notify import wiring

    random.seed(os.urandom(32))  # every copy restored from one snapshot would draw the same sequence
    aws.client.cache_clear()  # connections and the credentials they hold belong to the snapshot's host
    aws.resource.cache_clear()
    wiring.subscription_runtime.cache_clear()  # holds those clients and the signing secret
    wiring.origin_guard.cache_clear()  # the origin secret, as read before the snapshot (it may have rotated)
    parameters.clear_caches()  # the signing secret as read before the snapshot, and the SSM client


def register() -> None:
    """Register both hooks (outside Lambda and without the package: nothing to register)."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
