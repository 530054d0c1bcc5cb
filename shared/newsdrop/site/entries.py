"""What the site keeps about each published article, and the index of lists it reads pages from."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Protocol

from newsdrop.ingest.text import slug_or_empty
from newsdrop.models import Article, Tag, compact_json
from newsdrop.site.images import feed_image
from newsdrop.site.layout import ALL, author_listing, tag_listing


@dataclass(kw_only=True)
class Entry:
    """One article as a list, a feed or a sitemap shows it."""

    slug: str
    title: str
    excerpt: str
    author: str | None = None
    published: str  # ISO 8601, UTC
    updated: str | None = None  # set when a published article was corrected
    tags: list[Tag] = field(default_factory=list)
    image: dict | None = None  # the lead photo's feed-size JPEG (newsdrop.site.images.feed_image)

    def to_json(self) -> str:
        return compact_json(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Entry:
        return cls._from_dict(json.loads(text))

    @classmethod
    def _from_dict(cls, data: dict) -> Entry:
        tags = [Tag.from_json(t) for t in data.pop("tags", [])]
        return cls(**data, tags=tags)

    @property
    def sort_key(self) -> str:
        return f"{self.published}#{self.slug}"

    @property
    def month(self) -> str:
        return self.published[:7]


@dataclass(kw_only=True)
class SiteRecord:
    """What the site shows of one article: its entry and the listings that hold it. A withdrawn article
    keeps its record with ``public=False`` (what it was in), so a replayed withdrawal still knows which
    pages to write again."""

    entry: Entry
    listings: list[str]
    revision: int
    public: bool = True

    def to_json(self) -> str:
        return compact_json(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SiteRecord:
        data = json.loads(text)
        return cls(**{**data, "entry": Entry._from_dict(data["entry"])})


def display_tags(article: Article) -> list[Tag]:
    """Editor tags then automatic ones, once each (by key), in their display form."""
    seen: dict[str, Tag] = {}
    for tag in [*article.editor_tags, *article.auto_tags]:
        seen.setdefault(tag.key, tag)
    return list(seen.values())


def author_key(author: str | None) -> str | None:
    return slug_or_empty(author) or None if author else None


def entry_for(article: Article, updated: str | None) -> Entry:
    return Entry(
        slug=article.slug,
        title=article.title,
        excerpt=article.excerpt,
        author=article.author,
        published=article.published.isoformat(),
        updated=updated,
        tags=display_tags(article),
        image=feed_image(article),
    )


def listings_for(article: Article) -> list[str]:
    listings = [ALL, *(tag_listing(t.key) for t in display_tags(article))]
    key = author_key(article.author)
    if key:
        listings.append(author_listing(key))
    return listings


class SiteIndex(Protocol):
    """The lists the site is rendered from (``newsdrop.site.store.DynamoDBSiteIndex`` in Lambda,
    ``InMemorySiteIndex`` for full builds and unit tests). Adds and removals are idempotent and report
    whether they changed anything, so a replayed event moves no page."""

    def get_record(self, slug: str) -> SiteRecord | None: ...
    def put_record(self, record: SiteRecord) -> None: ...
    def delete_record(self, slug: str) -> None: ...
    def public_among(self, slugs: Iterable[str]) -> set[str]: ...
    def add_entry(self, listing: str, entry: Entry) -> bool: ...
    def remove_entry(self, listing: str, entry: Entry) -> bool: ...
    def replace_entry(self, listing: str, entry: Entry) -> None: ...
    def count(self, listing: str) -> int: ...
    def newer_than(self, listing: str, sort_key: str) -> int: ...
    def newest(self, listing: str, n: int) -> list[Entry]: ...  # newest first
    def between(self, listing: str, low: str, high: str) -> list[Entry]: ...  # sort keys, oldest first
    def months(self) -> list[str]: ...  # months (YYYY-MM) holding published articles


class InMemorySiteIndex:
    """``SiteIndex`` in a dict: full builds (``newsdrop publish --all``) and unit tests."""

    def __init__(self) -> None:
        self.records: dict[str, SiteRecord] = {}
        self.listings: dict[str, dict[str, Entry]] = {}

    def get_record(self, slug: str) -> SiteRecord | None:
        return self.records.get(slug)

    def put_record(self, record: SiteRecord) -> None:
        self.records[record.entry.slug] = record

    def delete_record(self, slug: str) -> None:
        self.records.pop(slug, None)

    def public_among(self, slugs: Iterable[str]) -> set[str]:
        return {s for s in slugs if s in self.records and self.records[s].public}

    def add_entry(self, listing: str, entry: Entry) -> bool:
        entries = self.listings.setdefault(listing, {})
        added = entry.sort_key not in entries
        entries[entry.sort_key] = entry
        return added

    def remove_entry(self, listing: str, entry: Entry) -> bool:
        return self.listings.get(listing, {}).pop(entry.sort_key, None) is not None

    def replace_entry(self, listing: str, entry: Entry) -> None:
        self.listings.setdefault(listing, {})[entry.sort_key] = entry

    def _sorted(self, listing: str) -> list[Entry]:
        entries = self.listings.get(listing, {})
        return [entries[k] for k in sorted(entries)]

    def count(self, listing: str) -> int:
        return len(self.listings.get(listing, {}))

    def newer_than(self, listing: str, sort_key: str) -> int:
        return sum(1 for k in self.listings.get(listing, {}) if k > sort_key)

    def newest(self, listing: str, n: int) -> list[Entry]:
        return self._sorted(listing)[::-1][:n]

    def between(self, listing: str, low: str, high: str) -> list[Entry]:
        return [e for e in self._sorted(listing) if low <= e.sort_key < high]

    def months(self) -> list[str]:
        return sorted({e.month for e in self.listings.get(ALL, {}).values()})
