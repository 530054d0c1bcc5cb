"""A dropped object, as the S3 notification names it: what ingest reads, and what it forwards to the image
function. Apart from the ingestor so that the image function reads it without importing the article
model and the parsers (docs/benchmarks.md, cold start)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class DroppedObject:
    bucket: str
    key: str  # decoded (S3 sends keys URL-encoded)
    size: int | None = None
    version_id: str | None = None
    sequencer: str | None = None
    event_time: str | None = None
    etag: str | None = None
    removed: bool = False  # the editor deleted the file: withdraw the article it named

    @property
    def drop_id(self) -> str:
        """The correlation id of this upload: the same for a redelivered event, new for a re-upload."""
        identity = "|".join(
            str(p) for p in (self.bucket, self.key, self.version_id, self.etag, self.sequencer)
        )
        return hashlib.sha256(identity.encode()).hexdigest()[:16]


def sequencer_order(sequencer: str) -> tuple[int, str]:
    """S3 sequencers are hex strings of varying length; longer means later only after zero padding."""
    return (len(sequencer.lstrip("0")), sequencer.lstrip("0"))
