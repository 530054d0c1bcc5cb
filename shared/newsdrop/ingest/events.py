"""The S3 event at ingest's boundary, read leniently where AWS and local emulators differ."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from newsdrop.ingest.ingestor import DroppedObject


def _text(value: Any, where: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise ValueError(f"not an S3 event record: {where} is {value!r}")
    return value


def dropped_objects(event: dict[str, Any]) -> list[DroppedObject]:
    """The created and removed objects in an S3 notification (s3:TestEvent has no records). Lenient
    where AWS and emulators differ: unlike Powertools' S3Model this does not require userIdentity,
    requestParameters or responseElements, which moto's notifications leave out. A record without its
    event name, bucket or key raises ValueError."""
    dropped = []
    for raw in event.get("Records") or []:
        name = _text(raw.get("eventName") if isinstance(raw, dict) else None, "eventName")
        if not name.startswith(("ObjectCreated", "ObjectRemoved")):
            continue
        s3 = raw.get("s3") if isinstance(raw.get("s3"), dict) else {}
        obj = s3.get("object") if isinstance(s3.get("object"), dict) else {}
        bucket = s3.get("bucket") if isinstance(s3.get("bucket"), dict) else {}
        size = obj.get("size")
        dropped.append(
            DroppedObject(
                bucket=_text(bucket.get("name"), "s3.bucket.name"),
                # S3 URL-encodes keys: spaces arrive as '+', '+' as '%2B'
                key=unquote_plus(_text(obj.get("key"), "s3.object.key")),
                size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
                version_id=_text(obj.get("versionId"), "s3.object.versionId", required=False),
                sequencer=_text(obj.get("sequencer"), "s3.object.sequencer", required=False),
                event_time=_text(raw.get("eventTime"), "eventTime", required=False),
                etag=_text(obj.get("eTag"), "s3.object.eTag", required=False),
                removed=name.startswith("ObjectRemoved"),
            )
        )
    return dropped
