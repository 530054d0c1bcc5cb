"""One-time EventBridge Scheduler schedules for an article's timed transitions (publish at its date,
expire at its expiry). One schedule per (article, action), named after both, so re-uploading with
another date moves it (an update) and deleting the file cancels it. Each deletes itself after it ran
(ActionAfterCompletion: DELETE); the lifecycle function it invokes checks the revision it names.
"""

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from newsdrop.lifecycle import Action

RETRY_ATTEMPTS = 10
MAX_EVENT_AGE_SECONDS = 86_400  # a transition late by a day still happens; after that, the DLQ


def schedule_name(slug: str, action: Action) -> str:
    """Scheduler names are at most 64 of [0-9A-Za-z-_.]: a readable prefix and a hash of the slug."""
    digest = hashlib.sha256(slug.encode()).hexdigest()[:12]
    readable = re.sub(r"[^0-9A-Za-z-]", "-", slug)[:40]
    return f"{action}-{readable}-{digest}"


def at_expression(at: datetime) -> str:
    return f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})"


def transition_input(slug: str, action: Action, at: datetime, revision: int) -> dict[str, Any]:
    """The lifecycle function's event: which revision of which article, and what to do to it."""
    return {"slug": slug, "action": action, "revision": revision, "at": at.astimezone(UTC).isoformat()}


class TransitionRequest(BaseModel):
    """The lifecycle function's event, as ``transition_input`` wrote it (the schedule's Input). Anything
    else fails validation, naming the field: such an event can never succeed, so it goes to the schedule
    group's dead-letter queue after its retries."""

    # Built when the lifecycle function first reads one: the ingest function, which imports this module
    # to set schedules, never validates a request (docs/benchmarks.md, cold start).
    model_config = ConfigDict(frozen=True, strict=True, defer_build=True)

    slug: str = Field(min_length=1)
    action: Action
    revision: int = Field(ge=1)
    at: AwareDatetime = Field(strict=False)  # an ISO 8601 string in the JSON

    def as_json(self) -> dict[str, Any]:
        return transition_input(self.slug, self.action, self.at, self.revision)


class LifecycleSchedules:
    def __init__(self, group: str, target_arn: str, role_arn: str, dead_letter_arn: str):
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn
        self.dead_letter_arn = dead_letter_arn
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("scheduler")
        return self._client

    def set(self, slug: str, action: Action, at: datetime, revision: int) -> None:
        params = {
            "GroupName": self.group,
            "Name": schedule_name(slug, action),
            "ScheduleExpression": at_expression(at),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Description": f"{action} {slug} (revision {revision})"[:512],
            "Target": {
                "Arn": self.target_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps(transition_input(slug, action, at, revision)),
                "RetryPolicy": {
                    "MaximumRetryAttempts": RETRY_ATTEMPTS,
                    "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                },
                "DeadLetterConfig": {"Arn": self.dead_letter_arn},
            },
        }
        try:
            self.client.create_schedule(**params)
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConflictException":
                raise
            self.client.update_schedule(**params)  # a moved date, or a retried drop

    def cancel(self, slug: str, action: Action) -> None:
        try:
            self.client.delete_schedule(GroupName=self.group, Name=schedule_name(slug, action))
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
