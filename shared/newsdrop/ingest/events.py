"""The S3 event at ingest's boundary: Powertools' S3Model (``newsdrop.event_models.drop_event``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from newsdrop.event_models import drop_event, parse
from newsdrop.ingest.ingestor import DroppedObject
from newsdrop.models import json_moment


def dropped_objects(event: dict[str, Any]) -> list[DroppedObject]:
    """The created and removed objects in an S3 notification (s3:TestEvent has no records). An event
    that is not one raises pydantic's ValidationError, naming the field, before any drop is handled."""
    dropped = []
    for record in parse(event, drop_event()).Records:
        if not record.eventName.startswith(("ObjectCreated", "ObjectRemoved")):
            continue
        obj = record.s3.object
        if obj is None:  # S3Model allows it for other event kinds; these always carry their object
            raise ValueError(f"{record.eventName} without s3.object")
        dropped.append(
            DroppedObject(
                bucket=record.s3.bucket.name,
                key=unquote_plus(obj.key),  # S3 URL-encodes keys: spaces arrive as '+', '+' as '%2B'
                size=None if obj.size is None else int(obj.size),
                version_id=obj.versionId,
                sequencer=obj.sequencer,
                event_time=json_moment(record.eventTime),
                etag=obj.eTag,
                removed=record.eventName.startswith("ObjectRemoved"),
            )
        )
    return dropped
