"""What a format reader makes of one dropped file: the article's fields, before identity, tagging and
derived fields. A dataclass (docs/validation.md, stored records): the fields were validated on the way in
(newsdrop.ingest.article_model), and the content hash is taken over this class's fields in their order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newsdrop.models import BodyFormat


@dataclass(kw_only=True)
class ArticleDraft:
    """What a parser extracts from one file, before identity, tagging and derived fields."""

    title: str
    body: str  # the editor's source, exactly as written (Markdown, HTML or text)
    body_html: str = ""  # what readers get: body rendered, then sanitized (newsdrop.ingest.body)
    body_format: BodyFormat
    author: str | None = None
    # Each author on their own ("author" joins them for what was stored and hashed before). Not in the
    # content hash: it only restates "author".
    authors: list[str] = field(default_factory=list)
    date: datetime | None = None
    slug: str | None = None
    summary: str | None = None
    tags: list[str] = field(default_factory=list)  # editor tags, as written
    # Editorial lifecycle (Hugo's draft/publishDate/expiryDate, Ghost's "publish and send")
    draft: bool = False
    expires: datetime | None = None
    notify: bool = True
    # The lead photo, a file dropped beside the article (newsdrop.images)
    image: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
