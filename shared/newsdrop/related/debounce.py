"""Trailing-edge debounce of canonical rebuilds: one rebuild per burst, however long the burst.

A rebuild request names the index generation (updates begun) it saw. When it comes back after the
delay, a generation that has moved means updates are still arriving (an archive import, a redrive):
rebuilding now would be wasted, since the rest of the burst dirties the index again. So the request
is sent again with the new generation, and the rebuild runs once a whole delay passes without an update,
or after MAX_DEFERRALS delays at the latest (a newsroom that never stops publishing still gets its
canonical lists, about an hour late with the default 300 s).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import boto3
from pydantic import BaseModel, Field

from newsdrop.models import compact_json

MAX_DEFERRALS = 12


class RebuildMessage(BaseModel):
    """The request message, validated where the rebuild function reads it (``queue_record``)."""

    rebuild: Literal["related"]
    generation: int | None = None  # None: from the redriver, which knows no generation
    deferrals: int = Field(default=0, ge=0)


class RebuildRequest:
    """Sends the delayed request message; the related function and the rebuild function both ask."""

    def __init__(self, queue_url: str, delay_seconds: int = 0, sqs: Any | None = None):
        self.queue_url = queue_url
        self.delay_seconds = max(0, min(900, delay_seconds))
        self._sqs = sqs

    def __call__(self, generation: int | None = None, deferrals: int = 0) -> None:
        if self._sqs is None:  # created on first use: most related updates never ask
            self._sqs = boto3.client("sqs")
        body = RebuildMessage(rebuild="related", generation=generation, deferrals=deferrals)
        self._sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=compact_json(body.model_dump()),
            DelaySeconds=self.delay_seconds,
        )


def still_busy(requests: Iterable[RebuildMessage], generation: int, dirty: bool) -> tuple[bool, int]:
    """(defer?, deferrals so far) for a batch of request messages, given the index state now."""
    requests = list(requests)
    seen = max((r.generation for r in requests if r.generation is not None), default=None)
    deferrals = max((r.deferrals for r in requests), default=0)
    return dirty and seen != generation and deferrals < MAX_DEFERRALS, deferrals
