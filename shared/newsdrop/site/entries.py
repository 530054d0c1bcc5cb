"""What the site keeps about each published article, and the index of lists it reads pages from."""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import NamedTuple, Protocol

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
    authors: list[str] = field(default_factory=list)  # each co-author; empty in entries stored before
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
    def names(self) -> list[str]:
        return self.authors or ([self.author] if self.author else [])

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


class PageStart(NamedTuple):
    """Where a page of a listing starts (a sort key; "" for page 1) and its number (0: the front page).
    ``by``: the sort key of the article whose arrival sealed the page (a replayed event writes it again)."""

    start: str
    number: int
    by: str | None = None


def display_tags(article: Article) -> list[Tag]:
    """Editor tags then automatic ones, once each (by key), in their display form."""
    seen: dict[str, Tag] = {}
    for tag in [*article.editor_tags, *article.auto_tags]:
        seen.setdefault(tag.key, tag)
    return list(seen.values())


def author_key(author: str | None) -> str | None:
    return slug_or_empty(author) or None if author else None


def author_names(article: Article) -> list[str]:
    """The article's authors, each once (an item stored before co-authors has only the joined string)."""
    names = article.authors or ([article.author] if article.author else [])
    return list(dict.fromkeys(n for n in names if n))


def byline(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}" if names else ""


def entry_for(article: Article, updated: str | None) -> Entry:
    return Entry(
        slug=article.slug,
        title=article.title,
        excerpt=article.excerpt,
        author=article.author,
        authors=author_names(article),
        published=article.published.isoformat(),
        updated=updated,
        tags=display_tags(article),
        image=feed_image(article),
    )


def listings_for(article: Article) -> list[str]:
    listings = [ALL, *(tag_listing(t.key) for t in display_tags(article))]
    for name in author_names(article):
        key = author_key(name)
        if key and author_listing(key) not in listings:
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
    def newest(self, listing: str, n: int) -> list[Entry]: ...  # newest first
    def between(self, listing: str, low: str, high: str) -> list[Entry]: ...  # sort keys, oldest first
    def months(self) -> list[str]: ...  # months (YYYY-MM) holding published articles
    def month_counts(self) -> dict[str, int]: ...  # those months -> their published articles
    def claim_labels(self, tags: list[Tag]) -> dict[str, str]: ...  # key -> the label the site uses
    def all_labels(self) -> dict[str, str]: ...
    # the search index (newsdrop.site.search): one document per (shard, article)
    def search_put(self, shard: str, slug: str, doc: dict) -> None: ...
    def search_remove(self, shard: str, slug: str) -> None: ...
    def search_docs(self, shard: str) -> list[dict]: ...  # by slug
    # where each page of a listing starts (newsdrop.site.layout): at most ``n``, from ``key`` on
    def pages_before(
        self, listing: str, key: str, n: int
    ) -> list[PageStart]: ...  # start <= key, newest first
    def pages_after(
        self, listing: str, key: str, n: int | None
    ) -> list[PageStart]: ...  # start > key, oldest first
    def set_pages(self, listing: str, starts: dict[str, int]) -> None: ...  # a listing cut afresh
    def seal_page(
        self, listing: str, sealed: PageStart, front: str
    ) -> None: ...  # the front's oldest -> archive


class InMemorySiteIndex:
    """``SiteIndex`` in a dict: full builds (``newsdrop publish --all``) and unit tests."""

    def __init__(self) -> None:
        self.records: dict[str, SiteRecord] = {}
        self.listings: dict[str, dict[str, Entry]] = {}
        self.labels: dict[str, str] = {}
        self.search: dict[str, dict[str, dict]] = {}
        self.pages: dict[str, dict[str, PageStart]] = {}
        self._order: dict[str, list[str]] = {}  # a listing's sort keys, sorted when first read after a change

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
        if added:
            self._order.pop(listing, None)
        return added

    def remove_entry(self, listing: str, entry: Entry) -> bool:
        self._order.pop(listing, None)
        return self.listings.get(listing, {}).pop(entry.sort_key, None) is not None

    def replace_entry(self, listing: str, entry: Entry) -> None:
        self.listings.setdefault(listing, {})[entry.sort_key] = entry

    def _keys(self, listing: str) -> list[str]:
        if listing not in self._order:
            self._order[listing] = sorted(self.listings.get(listing, {}))
        return self._order[listing]

    def count(self, listing: str) -> int:
        return len(self.listings.get(listing, {}))

    def newest(self, listing: str, n: int) -> list[Entry]:
        entries, keys = self.listings.get(listing, {}), self._keys(listing)
        return [entries[k] for k in reversed(keys[-n:])] if n > 0 else []

    def between(self, listing: str, low: str, high: str) -> list[Entry]:
        entries, keys = self.listings.get(listing, {}), self._keys(listing)
        return [entries[k] for k in keys[bisect_left(keys, low) : bisect_left(keys, high)]]

    def months(self) -> list[str]:
        return sorted(self.month_counts())

    def month_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.listings.get(ALL, {}).values():
            counts[entry.month] = counts.get(entry.month, 0) + 1
        return dict(sorted(counts.items()))

    def claim_labels(self, tags: list[Tag]) -> dict[str, str]:
        return {t.key: self.labels.setdefault(t.key, t.label) for t in tags}

    def all_labels(self) -> dict[str, str]:
        return dict(self.labels)

    def search_put(self, shard: str, slug: str, doc: dict) -> None:
        self.search.setdefault(shard, {})[slug] = doc

    def search_remove(self, shard: str, slug: str) -> None:
        self.search.get(shard, {}).pop(slug, None)

    def search_docs(self, shard: str) -> list[dict]:
        docs = self.search.get(shard, {})
        return [docs[s] for s in sorted(docs)]

    def pages_before(self, listing: str, key: str, n: int) -> list[PageStart]:
        pages = self.pages.get(listing, {})
        return [pages[s] for s in sorted(pages, reverse=True) if s <= key][:n]

    def pages_after(self, listing: str, key: str, n: int | None) -> list[PageStart]:
        pages = self.pages.get(listing, {})
        return [pages[s] for s in sorted(pages) if s > key][:n]

    def set_pages(self, listing: str, starts: dict[str, int]) -> None:
        self.pages[listing] = {start: PageStart(start, number) for start, number in starts.items()}
        if not starts:
            del self.pages[listing]

    def seal_page(self, listing: str, sealed: PageStart, front: str) -> None:
        pages = self.pages.setdefault(listing, {})
        pages[sealed.start] = sealed
        pages[front] = PageStart(front, 0)


def with_site_labels(article: Article, index: SiteIndex) -> Article:
    """The article with each tag labelled as everywhere else on the site: the first label a tag was
    published with is its label for good ("#elections" and "#Elections" are one tag, shown one way)."""
    labels = index.claim_labels(display_tags(article))
    return replace(
        article,
        editor_tags=[Tag(t.key, labels.get(t.key, t.label)) for t in article.editor_tags],
        auto_tags=[Tag(t.key, labels.get(t.key, t.label)) for t in article.auto_tags],
    )
