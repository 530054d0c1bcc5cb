"""Only through CloudFront: the secret origin header, and its rotation.

The distribution adds ``X-Origin-Verify: <secret>`` to every request it sends to the subscription API
(an origin custom header, resolved from Secrets Manager at deploy time). A request that reaches the API's
own ``execute-api`` address does not carry it, so it skipped the distribution, its WAF rules and the
viewer address CloudFront vouches for.

Such a request is refused (403), with one exception: a request carrying a signed ``token`` (the confirm,
manage and unsubscribe links of emails, and mailbox providers' one-click unsubscribe POSTs). A token
authenticates itself and only ever acts on its own subscription, and emails sent before a site had a
domain link to the API's own address: breaking those links would break unsubscribes already promised.
Sign-ups and manage-link requests, the routes that send mail to an address the requester names, always
need the header.

Rotation (`rotation_step`, the Secrets Manager rotation function's four steps): a new value is made
pending, written into the distribution's origin header, checked there, then made current. The guard
accepts the current, pending and previous values, so no request is refused while CloudFront deploys the
change to its edges.
"""

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

HEADER = "x-origin-verify"  # API Gateway lower-cases header names
HEADER_NAME = "X-Origin-Verify"  # as the distribution's origin custom header names it
API_ORIGIN_ID = "subscriptions"  # the distribution's origin for the subscription API
STAGES = ("AWSCURRENT", "AWSPENDING", "AWSPREVIOUS")
# A value no stage matched makes the guard read the secret again, but at most this often: every request
# to the execute-api address carries a wrong value, and must not become a Secrets Manager call. A rotated
# value is made pending (and readable) before the distribution is updated, and CloudFront takes longer than
# this to deploy that update to any edge: so the first request with the new value finds it.
REFRESH_AFTER_MISS = 5.0
REFRESH_EVERY = 300.0


def _now() -> float:
    return time.monotonic()


@dataclass
class OriginGuard:
    """Tells a request that came through the distribution from one that went around it."""

    secret_id: str
    client: Callable[[], Any]  # Secrets Manager, built on first use
    clock: Callable[[], float] = _now
    _values: tuple[str, ...] = ()
    _read_at: float | None = None

    def through_cloudfront(self, headers: dict[str, str]) -> bool:
        presented = headers.get(HEADER, "")
        if not presented:
            return False
        now = self.clock()
        if self._read_at is None or now - self._read_at >= REFRESH_EVERY:
            self._read(now)
        if self._matches(presented):
            return True
        if now - (self._read_at or 0.0) >= REFRESH_AFTER_MISS:  # perhaps rotated since it was read
            self._read(now)
            return self._matches(presented)
        return False

    def _matches(self, presented: str) -> bool:
        # compare_digest on every stored value: no early exit that would time which one came close
        return any([hmac.compare_digest(presented.encode(), value.encode()) for value in self._values])

    def _read(self, now: float) -> None:
        self._values = tuple(v for v in (stage_value(self.client(), self.secret_id, s) for s in STAGES) if v)
        self._read_at = now


def stage_value(client: Any, secret_id: str, stage: str) -> str | None:
    try:
        return client.get_secret_value(SecretId=secret_id, VersionStage=stage)["SecretString"]
    except client.exceptions.ResourceNotFoundException:  # no pending or previous version: normal
        return None


def refusal(event: dict[str, Any], guard: OriginGuard | None) -> dict[str, Any] | None:
    """A 403 for a request that went around the distribution and carries no token; None to go on.

    A request that went around it also loses any ``CloudFront-Viewer-Address`` it wrote itself: only the
    distribution may say who the viewer is (the per-reader limits key on it)."""
    if guard is None:
        return None
    headers = event.get("headers") or {}
    if guard.through_cloudfront(headers):
        return None
    headers.pop("cloudfront-viewer-address", None)
    if (event.get("queryStringParameters") or {}).get("token"):
        return None
    from newsdrop.notify.http import problem

    return problem(403, "forbidden", "use the site's address, not the API's own")


# -- rotation ---------------------------------------------------------------------------------------------
class RotationEvent(BaseModel):
    """What Secrets Manager sends a rotation function, once per step."""

    SecretId: str = Field(min_length=1)
    ClientRequestToken: str = Field(min_length=32, max_length=64)
    Step: Literal["createSecret", "setSecret", "testSecret", "finishSecret"]


def rotation_step(event: RotationEvent, *, secrets: Any, cloudfront: Any, distribution_id: str) -> None:
    """One step of a Secrets Manager rotation (createSecret, setSecret, testSecret, finishSecret). Each is
    safe to repeat: Secrets Manager retries a step that failed."""
    secret_id, token, step = event.SecretId, event.ClientRequestToken, event.Step
    stages = secrets.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {}).get(token, [])
    if "AWSCURRENT" in stages:
        return  # finished already: a repeated call
    if step == "createSecret":
        try:
            _pending(secrets, secret_id, token)  # made by an earlier try of this step
        except secrets.exceptions.ResourceNotFoundException:
            value = secrets.get_random_password(PasswordLength=48, ExcludePunctuation=True)["RandomPassword"]
            secrets.put_secret_value(
                SecretId=secret_id, ClientRequestToken=token, SecretString=value, VersionStages=["AWSPENDING"]
            )
        return
    if "AWSPENDING" not in stages:
        raise ValueError(f"version {token} of {secret_id} is not pending rotation")
    if step == "setSecret":
        pending = _pending(secrets, secret_id, token)
        config = cloudfront.get_distribution_config(Id=distribution_id)
        if _set_header(config["DistributionConfig"], pending):
            cloudfront.update_distribution(
                Id=distribution_id, DistributionConfig=config["DistributionConfig"], IfMatch=config["ETag"]
            )
    elif step == "testSecret":
        config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
        if sent_header(config) != _pending(secrets, secret_id, token):
            raise RuntimeError(f"distribution {distribution_id} does not send the pending origin secret")
    else:  # finishSecret
        versions = secrets.describe_secret(SecretId=secret_id)["VersionIdsToStages"]
        current = next(v for v, on in versions.items() if "AWSCURRENT" in on)
        secrets.update_secret_version_stage(
            SecretId=secret_id, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
        )


def _pending(secrets: Any, secret_id: str, token: str) -> str:
    return secrets.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage="AWSPENDING")[
        "SecretString"
    ]


def _api_origin(config: dict[str, Any]) -> dict[str, Any]:
    for origin in config["Origins"]["Items"]:
        if origin["Id"] == API_ORIGIN_ID:
            return origin
    raise LookupError(f"the distribution has no {API_ORIGIN_ID!r} origin")


def sent_header(config: dict[str, Any]) -> str | None:
    """The secret a distribution's configuration sends the API origin (None: it sends none)."""
    origin = next((o for o in config["Origins"]["Items"] if o["Id"] == API_ORIGIN_ID), {})
    items = (origin.get("CustomHeaders") or {}).get("Items") or []
    return next((h["HeaderValue"] for h in items if h["HeaderName"].lower() == HEADER), None)


def _set_header(config: dict[str, Any], value: str) -> bool:
    """Write ``value`` into the API origin's header; False when it is already there."""
    if sent_header(config) == value:
        return False
    origin = _api_origin(config)
    items = [
        h for h in (origin.get("CustomHeaders") or {}).get("Items") or [] if h["HeaderName"].lower() != HEADER
    ]
    items.append({"HeaderName": HEADER_NAME, "HeaderValue": value})
    origin["CustomHeaders"] = {"Quantity": len(items), "Items": items}
    return True
