"""Event shapes at the Lambda boundary, validated leniently where AWS and local emulators differ."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from newsdrop.ingest.ingestor import DroppedObject
from newsdrop.validation import Record


class _S3Object(Record):
    key: str
    size: int | None = None
    versionId: str | None = None  # noqa: N815 (S3's own field names)
    sequencer: str | None = None
    eTag: str | None = None  # noqa: N815


class _S3Bucket(Record):
    name: str


class _S3Entity(Record):
    bucket: _S3Bucket
    object: _S3Object


class S3NotificationRecord(Record):
    """A record of an S3 event notification. Unlike Powertools' strict S3Model this does not require
    userIdentity, requestParameters or responseElements, which moto's notifications leave out."""

    eventName: str  # noqa: N815
    eventTime: str | None = None  # noqa: N815
    s3: _S3Entity


def dropped_objects(event: dict[str, Any]) -> list[DroppedObject]:
    """The created and removed objects in an S3 notification (s3:TestEvent has no records)."""
    dropped = []
    for raw in event.get("Records") or []:
        record = S3NotificationRecord.model_validate(raw)
        if not record.eventName.startswith(("ObjectCreated", "ObjectRemoved")):
            continue
        obj = record.s3.object
        dropped.append(
            DroppedObject(
                bucket=record.s3.bucket.name,
                key=unquote_plus(obj.key),  # S3 URL-encodes keys: spaces arrive as '+', '+' as '%2B'
                size=obj.size,
                version_id=obj.versionId,
                sequencer=obj.sequencer,
                event_time=record.eventTime,
                etag=obj.eTag,
                removed=record.eventName.startswith("ObjectRemoved"),
            )
        )
    return dropped
