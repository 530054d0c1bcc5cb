"""The records Newsdrop stores: dataclasses, read through validated boundaries.

Outside input is validated where it enters: the dropped file (``newsdrop.ingest.parsing``; its fields
by the article model, ``newsdrop.ingest.article_model``, which names the field and the fix), every function's event (Powertools' Parser models, ``newsdrop.event_models``),
the messages between functions (``newsdrop.notify.messages``), the subscriber API's bodies. These
records are only read back from what those wrote; docs/validation.md has the measurement behind keeping
them dataclasses (``bench/stored_records.py``: per read and at import, against pydantic models and
TypeAdapters over TypedDicts).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from newsdrop.canonical import compact_json, tag_key  # noqa: F401 (re-exported: the records' modules name them from here)

MAX_OBJECT_BYTES = 2 * 1024 * 1024  # news articles are small; anything bigger is a mistake or an attack


class RejectReason(StrEnum):
    """Why a dropped file was quarantined. The values are stable: editors' tools and alarms key on them."""

    EMPTY = "empty_file"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    UNDECODABLE = "undecodable_text"
    BAD_FRONT_MATTER = "bad_front_matter"
    BAD_JSON = "bad_json"
    TOO_COMPLEX = "too_complex"  # nesting or alias bombs in JSON/YAML
    MISSING_TITLE = "missing_title"
    MISSING_BODY = "missing_body"
    INVALID_FIELD = "invalid_field"
    SLUG_TAKEN = "slug_taken"  # an explicit slug that names another article (live or withdrawn)
    # dropped images (newsdrop.images.process)
    TYPE_MISMATCH = "type_mismatch"  # the bytes are not what the extension says
    TOO_MANY_PIXELS = "too_many_pixels"  # over the pixel limit: refused before decoding
    BAD_IMAGE = "bad_image"  # damaged or truncated: the pixels cannot be decoded


class RejectedInput(Exception):
    """A dropped file that cannot become an article, with a reason an editor can act on."""

    def __init__(self, reason: RejectReason, detail: str):
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


BodyFormat = Literal["markdown", "html", "text"]


@dataclass(frozen=True)
class Tag:
    key: str  # normalized identity: "global-news"
    label: str  # display form: "Global News"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tag:
        return cls(data["key"], data["label"])


ArticleState = Literal["draft", "scheduled", "published", "expired", "unpublished"]


@dataclass(kw_only=True)
class Article:
    """One article, as stored and as the page shows it (when ``is_public`` says readers may see it)."""

    slug: str
    title: str
    author: str | None = None  # every author, joined by ", " (as stored and hashed before co-authors)
    authors: list[str] = field(default_factory=list)  # each on their own; empty on items stored before
    summary: str | None = None  # the editor's standfirst, when given
    published: datetime
    body: str  # the editor's source as dropped (revisions keep it)
    body_format: BodyFormat
    # The reader's HTML: the body rendered (Markdown, text) or extracted (HTML page) and sanitized at
    # ingest. Every reader-facing output shows this, never `body`. Empty only on items stored before it.
    body_html: str = ""
    slug_explicit: bool = False  # the file named its slug ("slug:"): other files may name it too
    excerpt: str
    word_count: int
    reading_minutes: int
    editor_tags: list[Tag] = field(default_factory=list)
    auto_tags: list[Tag] = field(default_factory=list)
    source_key: str
    content_hash: str
    revision: int = 1
    # Set at the drop and carried by every later stage's logs, so one id follows an article from the
    # editor's upload to the last email.
    correlation_id: str | None = None
    # Where it is in its editorial life. Items stored before states existed were all live: "published".
    state: ArticleState = "published"
    publish_at: datetime | None = None  # when it went (or goes) public; None for a draft
    expires_at: datetime | None = None  # when it leaves every reader-facing output (text kept)
    notify: bool = True  # False: published without an email ("notify: false" in the file)
    # The lead photo: a path relative to the article's file, as written ("image:" in the file).
    image: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    # Dropped images the article shows (lead and body) that have been processed: drop-bucket key ->
    # newsdrop.images.refs.ImageInfo as JSON. Ingest fills it; the image function adds late arrivals.
    images: dict[str, Any] = field(default_factory=dict)

    @property
    def tag_keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for tag in [*self.editor_tags, *self.auto_tags]:
            seen.setdefault(tag.key, None)
        return list(seen)


_ARTICLE_FIELDS = frozenset(f.name for f in fields(Article))
_WHOLE_NUMBERS = ("word_count", "reading_minutes", "revision")  # Decimal in DynamoDB's output
_MOMENTS = ("published", "publish_at", "expires_at")


def json_moment(moment: datetime | None) -> str | None:
    """A moment as stored items and hashes have always had it (pydantic's JSON form): UTC as "Z"."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def article_to_json(article: Article) -> dict[str, Any]:
    """The article as JSON values: a table item's attributes, a site document's fields."""
    data = asdict(article)
    for name in _MOMENTS:
        data[name] = json_moment(data[name])
    return data


def article_from_json(data: dict[str, Any]) -> Article:
    """The inverse of ``article_to_json``, from what we stored ourselves (ingest validated the file):
    a table item, a stream image after TypeDeserializer, a parsed document. Unknown keys are ignored, so
    an item written by a newer version still reads."""
    values = {k: v for k, v in data.items() if k in _ARTICLE_FIELDS}
    for name in _MOMENTS:
        if isinstance(values.get(name), str):
            values[name] = datetime.fromisoformat(values[name])
    for name in _WHOLE_NUMBERS:
        if name in values:
            values[name] = int(values[name])
    for name in ("editor_tags", "auto_tags"):
        values[name] = [t if isinstance(t, Tag) else Tag.from_json(t) for t in values.get(name) or []]
    return Article(**values)


def is_public(article: Article) -> bool:
    """The one visibility rule every reader-facing output follows (related lists, emails, the site).

    The state is the truth: ingest and the lifecycle function write every transition (scheduled ->
    published, published -> expired...) to the article's item, so a stream consumer never needs a clock.
    """
    return article.state == "published"


@dataclass(kw_only=True)
class RelatedEntry:
    slug: str
    title: str
    excerpt: str
    score: float


# "forwarded": an image, handed to the image function, which records the drop's outcome itself
DropStatus = Literal["stored", "unchanged", "rejected", "unpublished", "forwarded"]


@dataclass(kw_only=True)
class DropOutcome:
    source: str  # the object key as the editor named it (decoded)
    status: DropStatus
    slug: str | None = None
    reason: str | None = None
    detail: str | None = None
    quarantined_as: str | None = None
    waiting_for: list[str] | None = None  # dropped images the article names that have not arrived yet

    def as_dict(self) -> dict[str, Any]:
        """Its fields that are set: what the drop's log line and its table item carry."""
        return {k: v for k, v in asdict(self).items() if v is not None}
