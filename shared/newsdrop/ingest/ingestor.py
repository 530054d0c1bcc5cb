"""Ingest: one dropped object becomes a stored article or a quarantined file with a reason, never neither."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from newsdrop.images.refs import image_keys, is_image_key
from newsdrop.ingest.drop_bucket import REPORT_SUFFIX, DropBucket
from newsdrop.ingest.drops import DroppedObject, sequencer_order  # noqa: F401 (re-exported)
from newsdrop.ingest.editors import EditorNotices
from newsdrop.ingest.parsing import ArticleDraft, parse_article
from newsdrop.ingest.store import MAX_ITEM_BYTES, ArticleStore, StaleWrite, article_size
from newsdrop.ingest.tagging import auto_tags, normalize_tags
from newsdrop.ingest.text import html_text, make_excerpt, reading_minutes, slugify, word_count, xml_safe
from newsdrop.lifecycle import Action, now, pending_transitions, place
from newsdrop.models import (
    MAX_OBJECT_BYTES,
    Article,
    DropOutcome,
    RejectedInput,
    RejectReason,
    compact_json,
    json_moment,
)
from newsdrop.site.layout import RESERVED_SLUGS

if TYPE_CHECKING:
    from newsdrop.images.store import ImageQueue, ImageRecords

SAVE_ATTEMPTS = 5
MAX_KEY_BYTES = 1024  # S3's limit on an object key (moto does not enforce it; AWS does)


class Schedules(Protocol):
    """One-time timed transitions per article (EventBridge Scheduler on AWS)."""

    def set(self, slug: str, action: Action, at: datetime, revision: int) -> None: ...

    def cancel(self, slug: str, action: Action) -> None: ...


class NoSchedules:
    """For stores with no timed transitions (in-memory tools): scheduling is refused loudly."""

    def set(self, slug: str, action: Action, at: datetime, revision: int) -> None:
        raise RuntimeError(f"no scheduler configured: cannot {action} {slug!r} at {at.isoformat()}")

    def cancel(self, slug: str, action: Action) -> None:
        return None


_LIFECYCLE_DEFAULTS = {"draft": False, "expires": None, "notify": True}
_IMAGE_DEFAULTS = {"image": None, "image_alt": None, "image_caption": None, "image_credit": None}


def content_hash(draft: ArticleDraft) -> str:
    """Identity of what the editor wrote, independent of file name, encoding or line endings (and of how
    this version of Newsdrop renders it). Lifecycle fields left at their defaults are not part of it, so
    articles stored before they existed keep their hash."""
    defaults = {**_LIFECYCLE_DEFAULTS, **_IMAGE_DEFAULTS}
    left_out = {k for k, v in defaults.items() if getattr(draft, k) == v} | {"body_html", "authors"}
    data = {k: v for k, v in asdict(draft).items() if k not in left_out}
    for name in ("date", "expires"):
        if name in data:
            data[name] = json_moment(data[name])
    return hashlib.sha256(compact_json(data).encode()).hexdigest()


def xml_safe_draft(draft: ArticleDraft) -> ArticleDraft:
    """Every text field without XML-invalid characters (an invisible U+FFFF in a title would break the
    feeds and sitemaps for as long as the article is listed)."""
    changes: dict[str, object] = {}
    for name, value in asdict(draft).items():
        if isinstance(value, str):
            changes[name] = xml_safe(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            changes[name] = [xml_safe(v) for v in value]
    if not str(changes["title"]).strip():
        raise RejectedInput(
            RejectReason.MISSING_TITLE, "The title holds only control characters: give the article a title."
        )
    return replace(draft, **changes)


def build_article(
    draft: ArticleDraft,
    *,
    slug: str,
    source_key: str,
    previous: Article | None,
    now: datetime,
    correlation_id: str | None = None,
) -> Article:
    placement = place(draft, previous, now)
    text = html_text(draft.body_html)
    editor_tags = normalize_tags(draft.tags)
    words = word_count(text)
    return Article(
        slug=slug,
        title=draft.title,
        author=draft.author,
        authors=draft.authors,
        summary=draft.summary,
        published=draft.date or (previous.published if previous else now),
        body=draft.body,
        body_format=draft.body_format,
        body_html=draft.body_html,
        slug_explicit=bool(draft.slug),
        excerpt=make_excerpt(draft.summary or text),
        word_count=words,
        reading_minutes=reading_minutes(words),
        editor_tags=editor_tags,
        auto_tags=auto_tags(draft.title, text, exclude={t.key for t in editor_tags}),
        source_key=source_key,
        content_hash=content_hash(draft),
        revision=previous.revision + 1 if previous else 1,
        correlation_id=correlation_id,
        state=placement.state,
        publish_at=placement.publish_at,
        expires_at=placement.expires_at,
        notify=draft.notify,
        image=draft.image,
        image_alt=draft.image_alt,
        image_caption=draft.image_caption,
        image_credit=draft.image_credit,
    )


class Ingestor:
    def __init__(
        self,
        articles: ArticleStore,
        bucket: DropBucket,
        *,
        incoming_prefix: str = "incoming/",
        quarantine_prefix: str = "quarantine/",
        clock: Callable[[], datetime] = now,
        schedules: Schedules | None = None,
        editors: EditorNotices | None = None,
        images: ImageRecords | None = None,
        image_queue: ImageQueue | None = None,
    ):
        self.articles = articles
        self.bucket = bucket
        self.schedules = schedules or NoSchedules()
        self.editors = editors  # told once of each rejected upload (newsdrop.ingest.editors)
        self.incoming_prefix = incoming_prefix
        self.quarantine_prefix = quarantine_prefix
        self.clock = clock
        self.images = images
        self.image_queue = image_queue

    def ingest(self, obj: DroppedObject) -> DropOutcome:
        if self.image_queue is not None and not obj.removed and is_image_key(obj.key):
            # The image function checks it, makes the renditions and records the drop's outcome.
            self.image_queue.send(obj)
            return DropOutcome(source=obj.key, status="forwarded")
        outcome = self._ingest(obj)
        drop_id = obj.sequencer or obj.drop_id
        self.articles.record_drop(outcome, drop_id=drop_id, event_time=obj.event_time)
        if self.editors is not None and outcome.status == "rejected":
            self.editors.rejected(outcome, drop_id=drop_id, bucket=obj.bucket)
        return outcome

    def _ingest(self, obj: DroppedObject) -> DropOutcome:
        if obj.removed:
            return self._withdraw(obj)
        source = obj.key
        try:
            if obj.size is not None and obj.size > MAX_OBJECT_BYTES:
                raise RejectedInput(RejectReason.TOO_LARGE, self._too_large(obj.size))
            data = self.bucket.read(obj.bucket, obj.key, obj.version_id, MAX_OBJECT_BYTES)
            if len(data) > MAX_OBJECT_BYTES:
                raise RejectedInput(RejectReason.TOO_LARGE, self._too_large(len(data)))
            draft = xml_safe_draft(parse_article(data, obj.key))
        except RejectedInput as rejected:
            return self.quarantine(obj, rejected)

        for _ in range(SAVE_ATTEMPTS):
            try:
                return self._store(obj, draft)
            except StaleWrite:
                continue  # someone else wrote this slug meanwhile: decide again on fresh state
            except RejectedInput as rejected:  # it parsed, but cannot be stored as it is
                return self.quarantine(obj, rejected)
        raise RuntimeError(f"could not store {source!r}: the article kept changing under us")

    def _store(self, obj: DroppedObject, draft: ArticleDraft) -> DropOutcome:
        source = self.articles.get_source(obj.key)
        seen = source.get("sequencer") if source else None
        if obj.sequencer and seen and sequencer_order(obj.sequencer) <= sequencer_order(seen):
            # The same event again, or an older upload of this key arriving late: already handled.
            return DropOutcome(source=obj.key, status="unchanged", slug=source["slug"])

        digest = content_hash(draft)
        explicit = slugify(draft.slug) if draft.slug else None
        reserved = None
        if explicit in RESERVED_SLUGS:  # the site's own path: the article takes a free one beside it
            held = source["slug"] if source and source["slug"].startswith(f"{explicit}-") else None
            reserved, explicit = explicit, held or self._free_slug(explicit)
        same_content = self.articles.find_by_hash(digest)
        if same_content and explicit in (None, same_content):
            current = self.articles.get_article(same_content)
            if current and current.content_hash == digest:
                if source is None and current.source_key == obj.key:
                    # this file's own article, from a save interrupted before its last write (the
                    # archive's, newsdrop.archive.articles): the retry completes it
                    self.articles.restore_source(obj.key, same_content, obj.sequencer)
                return DropOutcome(source=obj.key, status="unchanged", slug=same_content)

        slug = explicit or (source["slug"] if source else None)
        previous = self.articles.get_article(slug) if slug else None
        withdrawn = self.articles.latest_revision(slug) if slug and previous is None else None
        revisions_before = withdrawn.revision if withdrawn else 0
        if explicit:
            self._check_claim(obj.key, explicit, previous or withdrawn, withdrawn=previous is None)
        if slug is None:
            base = slugify(draft.title)
            slug = self._free_slug(base)
            if base in RESERVED_SLUGS:
                reserved = base
        if previous and previous.content_hash == digest:
            return DropOutcome(source=obj.key, status="unchanged", slug=slug)

        article = build_article(
            draft,
            slug=slug,
            source_key=obj.key,
            previous=previous,
            now=self.clock(),
            correlation_id=obj.drop_id,
        )
        if revisions_before:  # published again after a withdrawal: the numbering goes on
            article = replace(article, revision=revisions_before + 1)
        wanted = image_keys(article)
        if self.images is not None and wanted:
            article.images = {k: info.to_json() for k, info in self.images.found(wanted).items()}
        size = article_size(article)
        if size > MAX_ITEM_BYTES:
            raise RejectedInput(
                RejectReason.TOO_LARGE,
                f"The article would take {size:,} bytes stored (its text as written plus the reader's HTML); "
                f"one article is stored in one DynamoDB item, at most {MAX_ITEM_BYTES:,} bytes. Split the "
                "story, or move tables and embedded images out of it.",
            )
        due = pending_transitions(article)
        # Schedules first: if the save then fails, the retry sets them again, and one that fires for a
        # revision never saved finds another revision and changes nothing.
        for action, at in due.items():
            self.schedules.set(slug, action, at, article.revision)
        self.articles.save(article, previous=previous, source_key=obj.key, sequencer=obj.sequencer)
        for action in pending_transitions(previous) if previous else {}:
            if action not in due:  # a moved date keeps its (updated) schedule; a dropped one is cancelled
                self.schedules.cancel(slug, action)
        waiting = self._await_images(article, wanted)
        notes = (
            [f"The slug '{reserved}' is one of the site's own paths, so the article is at '{slug}'."]
            if reserved
            else []
        )
        if waiting:
            notes.append(
                f"Waiting for {', '.join(waiting)}: published without it for now; the page shows it as soon "
                "as the file is dropped there."
            )
        detail = " ".join(notes) or None
        return DropOutcome(
            source=obj.key, status="stored", slug=slug, detail=detail, waiting_for=waiting or None
        )

    def _await_images(self, article: Article, wanted: list[str]) -> list[str]:
        """Note the article as a user of each image it names, then look again for the ones it lacked (one
        may have been processed while it was stored). Returns the images still to come."""
        if self.images is None or not wanted:
            return []
        self.images.note_users(article.slug, wanted)
        missing = [k for k in wanted if k not in article.images]
        late = self.images.found(missing)
        for key, info in late.items():
            self.images.attach(article.slug, key, info)
        return [k for k in missing if k not in late]

    @staticmethod
    def _check_claim(key: str, slug: str, holder: Article | None, *, withdrawn: bool) -> None:
        """A slug, once used, never goes to another article. An explicit slug names the article that
        holds it only when the holder came from the same file, or declared the same slug itself (then the
        files are revisions of one article, as the editor said)."""
        if holder is None or holder.source_key == key or holder.slug_explicit:
            return
        raise RejectedInput(
            RejectReason.SLUG_TAKEN,
            f"The slug '{slug}' already belongs to {'a withdrawn' if withdrawn else 'another'} article ('{holder.title[:80]}', from "
            f"'{holder.source_key}'). Slugs are never given to another article: choose another slug, or drop "
            "the new text under that article's file name to revise it.",
        )

    def _withdraw(self, obj: DroppedObject) -> DropOutcome:
        """Unpublish the article this key names, if the key still names it (an explicit slug may have moved
        it to another file since). Idempotent: a second delivery finds nothing to withdraw."""
        source = self.articles.get_source(obj.key)
        article = self.articles.get_article(source["slug"]) if source else None
        if article is None or article.source_key != obj.key:
            return DropOutcome(source=obj.key, status="unchanged", slug=source["slug"] if source else None)
        self.articles.withdraw(article)
        for action in pending_transitions(article):
            self.schedules.cancel(article.slug, action)
        return DropOutcome(source=obj.key, status="unpublished", slug=article.slug)

    def _free_slug(self, base: str) -> str:
        """Two different articles with the same title get base, base-2, base-3...; the write's condition
        settles any race between two drops claiming the same slug."""
        candidate, n = base, 1
        while candidate in RESERVED_SLUGS or self.articles.slug_taken(candidate):
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def quarantine(self, obj: DroppedObject, rejected: RejectedInput) -> DropOutcome:
        target = self.quarantine_key(obj.key)
        report = {
            "source": {"bucket": obj.bucket, "key": obj.key, "version_id": obj.version_id, "size": obj.size},
            "reason": rejected.reason.value,
            "detail": rejected.detail,
            "rejected_at": self.clock().isoformat(),
            "event_time": obj.event_time,
        }
        self.bucket.quarantine(obj.bucket, obj.key, obj.version_id, target, report)
        return DropOutcome(
            source=obj.key,
            status="rejected",
            reason=rejected.reason.value,
            detail=rejected.detail,
            quarantined_as=target,
        )

    def quarantine_key(self, key: str) -> str:
        """quarantine/<the key under incoming/>, unless that (or its report) would pass S3's 1,024-byte
        limit: then quarantine/<hash of the key>/<as much of its end as fits>. The report holds the full key."""
        relative = key.removeprefix(self.incoming_prefix)
        target = f"{self.quarantine_prefix}{relative}"
        if len((target + REPORT_SUFFIX).encode()) <= MAX_KEY_BYTES:
            return target
        head = f"{self.quarantine_prefix}{hashlib.sha256(key.encode()).hexdigest()[:16]}/"
        budget = MAX_KEY_BYTES - len(head.encode()) - len(REPORT_SUFFIX.encode())
        tail = relative.encode()[-budget:].decode("utf-8", "ignore").lstrip("/")
        return head + tail

    @staticmethod
    def _too_large(size: int) -> str:
        return (
            f"the file is {size:,} bytes; articles are limited to {MAX_OBJECT_BYTES:,} bytes "
            "(put images and attachments elsewhere and link to them)"
        )
