"""What ingest sends the image function: one dropped image, validated where it is read (the image
function's batch processor) and written as the same JSON ingest has always sent."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ImageDrop(BaseModel):
    """An image dropped beside its articles: the fields of `newsdrop.ingest.ingestor.DroppedObject`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket: str
    key: str
    size: int | None = None
    version_id: str | None = None
    sequencer: str | None = None
    event_time: str | None = None
    etag: str | None = None
    removed: bool = False
