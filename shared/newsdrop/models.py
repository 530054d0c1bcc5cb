"""The records Newsdrop reads and writes; every boundary validates with these pydantic models."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    """The base of every pydantic model in Newsdrop: its validator is built on first use, not at import.

    Each function validates only a few of the package's twenty models, and building them all when the
    modules are imported cost about 60 ms of CPU on every cold start (bench/cold_start.py)."""

    model_config = ConfigDict(defer_build=True)


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


class RejectedInput(Exception):
    """A dropped file that cannot become an article, with a reason an editor can act on."""

    def __init__(self, reason: RejectReason, detail: str):
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


BodyFormat = Literal["markdown", "html", "text"]


class ArticleDraft(Record):
    """What a parser extracts from one file, before identity, tagging and derived fields."""

    title: str
    body: str  # the editor's source, exactly as written (Markdown, HTML or text)
    body_html: str = ""  # what readers get: body rendered, then sanitized (newsdrop.ingest.body)
    body_format: BodyFormat
    author: str | None = None
    date: datetime | None = None
    slug: str | None = None
    summary: str | None = None
    tags: list[str] = Field(default_factory=list)  # editor tags, as written
    # Editorial lifecycle (Hugo's draft/publishDate/expiryDate, Ghost's "publish and send")
    draft: bool = False
    expires: datetime | None = None
    notify: bool = True


_KEY_WORDS = re.compile(r"[^\W_]+")


def tag_key(label: str) -> str:
    """Identity of a tag: "Global News", "global  news", "#global-news" and "Global_News" -> "global-news".

    Accents are folded (Café == Cafe); letters of other scripts are kept as they are. It lives here, not
    with the tagger, because subscribers' topics are keyed the same way and the notification functions
    should not import the tagger's gazetteer on a cold start.
    """
    folded = unicodedata.normalize("NFKD", label.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return "-".join(_KEY_WORDS.findall(folded))


class Tag(Record):
    key: str  # normalized identity: "global-news"
    label: str  # display form: "Global News"


ArticleState = Literal["draft", "scheduled", "published", "expired", "unpublished"]


class Article(Record):
    """One article, as stored and as the page shows it (when ``is_public`` says readers may see it)."""

    slug: str
    title: str
    author: str | None = None
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
    editor_tags: list[Tag] = Field(default_factory=list)
    auto_tags: list[Tag] = Field(default_factory=list)
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

    @property
    def tag_keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for tag in [*self.editor_tags, *self.auto_tags]:
            seen.setdefault(tag.key, None)
        return list(seen)


def is_public(article: Article) -> bool:
    """The one visibility rule every reader-facing output follows (related lists, emails, the site).

    The state is the truth: ingest and the lifecycle function write every transition (scheduled ->
    published, published -> expired...) to the article's item, so a stream consumer never needs a clock.
    """
    return article.state == "published"


class RelatedEntry(Record):
    slug: str
    title: str
    excerpt: str
    score: float


DropStatus = Literal["stored", "unchanged", "rejected", "unpublished"]


class DropOutcome(Record):
    source: str  # the object key as the editor named it (decoded)
    status: DropStatus
    slug: str | None = None
    reason: str | None = None
    detail: str | None = None
    quarantined_as: str | None = None
