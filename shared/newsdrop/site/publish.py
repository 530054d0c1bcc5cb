"""What to write and delete on the site when articles or related lists change (no AWS here).

``SitePublisher.publish(articles, related)`` updates the site index, then returns a ``SiteChanges``: the
objects to put and delete. Per new article that is its page and API document, the front page of each
list holding it (home, each tag, the author), the feeds of those lists, the latest/tag API documents and
the sitemaps it appears in; pages of other articles only when their related lists changed (their own
event). Everything is rendered from the stored state, so a replayed event writes the same bytes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from newsdrop.models import Article, RelatedEntry, is_public
from newsdrop.site import search
from newsdrop.site.entries import (
    Entry,
    PageStart,
    SiteIndex,
    SiteRecord,
    author_key,
    entry_for,
    listings_for,
    with_site_labels,
)
from newsdrop.site.layout import (
    ALL,
    FEED_SIZE,
    NEWS_SITEMAP_KEY,
    PAGE_SIZE,
    SITEMAP_INDEX_KEY,
    SITEMAP_MAX_BYTES,
    SITEMAP_MAX_URLS,
    TAGS_INDEX_KEY,
    PageSpec,
    article_api_key,
    article_key,
    cut,
    feed_keys,
    invalidation_path,
    layout,
    listing_api_key,
    month_sitemap_key,
    page_key,
    sitemap_parts,
    tag_listing,
    url_path,
)
from newsdrop.site.render import HTML, JSON, JSON_FEED, RSS, XML, Renderer

NEWS_WINDOW = timedelta(hours=48)
NEWS_MAX_URLS = 1_000


@dataclass
class ListingChange:
    """What one publisher invocation did to a listing: entry counts before and after, and the sort keys of
    the entries it added, removed or rewrote (the pages holding them are the pages to write)."""

    before: int
    after: int
    keys: set[str] = field(default_factory=set)


@dataclass
class MonthChange:
    """What one invocation did to a month's sitemaps: the sort keys added, removed or rewritten (the first
    part holding one of them is the first to change), and how many entries left (parts may go)."""

    keys: set[str] = field(default_factory=set)
    removed: int = 0


@dataclass
class SearchChange:
    """What one invocation did to the search index: the shards holding a changed article's words, and the
    days whose result documents changed (an article's are in its day's file: newsdrop.site.search)."""

    shards: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)


class ArticleReader(Protocol):
    def get_article(self, slug: str) -> Article | None: ...


RelatedReader = Callable[[str], list[RelatedEntry]]


@dataclass
class SiteObject:
    body: bytes
    content_type: str


@dataclass
class SiteChanges:
    puts: dict[str, SiteObject] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.puts[key] = SiteObject(body, content_type)
        self.deletes.discard(key)

    def delete(self, key: str) -> None:
        self.puts.pop(key, None)
        self.deletes.add(key)

    def merge(self, later: SiteChanges) -> None:
        """Fold in what a later change wrote or deleted (the later one wins for a key)."""
        for key, obj in later.puts.items():
            self.put(key, obj.body, obj.content_type)
        for key in later.deletes:
            self.delete(key)

    @property
    def invalidation_paths(self) -> list[str]:
        """Every changed object's path, once (a CreateInvalidation takes them all)."""
        return sorted({invalidation_path(k) for k in [*self.puts, *self.deletes]})


def listing_title(listing: str, entries: list[Entry], site_name: str) -> str:
    if listing == ALL:
        return f"Latest from {site_name}"
    kind, _, key = listing.partition("/")
    if kind == "tag":
        label = next((t.label for e in entries for t in e.tags if t.key == key), key)
        return f"#{label}"
    author = next((n for e in entries for n in e.names if author_key(n) == key), key)
    return f"Articles by {author}"


class SitePublisher:
    def __init__(
        self,
        articles: ArticleReader,
        related: RelatedReader,
        index: SiteIndex,
        renderer: Renderer,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        page_size: int = PAGE_SIZE,
        sitemap_urls: int = SITEMAP_MAX_URLS,
        sitemap_bytes: int = SITEMAP_MAX_BYTES,
    ):
        self.articles = articles
        self.related = related
        self.index = index
        self.renderer = renderer
        self.now = now
        self.page_size = page_size
        # URLs per sitemap: the sitemaps.org count, or fewer if that many of the longest URL an article can
        # have would pass the byte limit (a fixed number, so the cut points only depend on the month's order)
        self.sitemap_urls = min(sitemap_urls, renderer.sitemap_capacity(sitemap_bytes))

    # -- one invocation ------------------------------------------------------------------------------
    def publish(self, changed_articles: Iterable[str], changed_related: Iterable[str] = ()) -> SiteChanges:
        out = SiteChanges()
        listings: dict[str, ListingChange] = {}
        months: dict[str, MonthChange] = {}
        searched = SearchChange()
        rendered: set[str] = set()
        for slug in dict.fromkeys(changed_articles):
            self._article_changed(slug, out, listings, months, searched)
            rendered.add(slug)
        for slug in dict.fromkeys(changed_related):
            if slug in rendered:
                continue
            article = self._article(slug)
            record = self.index.get_record(slug)
            if article is not None and record is not None and record.public and is_public(article):
                self._write_article(article, record, out)
        for listing, change in listings.items():
            self._write_listing(listing, change, out)
        if months:
            self._write_sitemaps(months, out, months)
        self._write_search(searched, out)
        if any(c.before == 0 or c.after == 0 for n, c in listings.items() if n.startswith("tag/")):
            self._write_tags_index(out)  # a tag appeared or went: the list of topics changed
        return out

    def _article(self, slug: str) -> Article | None:
        article = self.articles.get_article(slug)
        return (
            with_site_labels(article, self.index) if article is not None and is_public(article) else article
        )

    def _article_changed(
        self,
        slug: str,
        out: SiteChanges,
        listings: dict[str, ListingChange],
        months: dict[str, MonthChange],
        searched: SearchChange,
    ) -> None:
        article = self._article(slug)
        record = self.index.get_record(slug)
        live = record if record is not None and record.public else None
        if article is None or not is_public(article):
            if live is not None:
                for listing in live.listings:
                    self._remove(listing, live.entry, listings)
                self.index.put_record(replace(live, public=False))
            elif record is not None:  # withdrawn already: a replay writes the same pages again
                for listing in record.listings:
                    self._removed_again(listing, record.entry, listings)
            if record is not None:
                self._month_changed(months, record.entry, removed=True)
                self._unindex(record.entry, searched, out)
            out.delete(article_key(slug))
            out.delete(article_api_key(slug))
            return
        updated = live.entry.updated if live else None
        if live is not None and article.revision > live.revision:
            updated = self.now().isoformat()  # a correction of a published article
        entry = entry_for(article, updated)
        wanted = listings_for(article)
        # The same state as recorded: this event (or its twin) was applied, maybe without its pages
        # being written (a failure after the index changed); its pages are written again.
        replay = live is not None and (live.revision, live.entry, live.listings) == (
            article.revision,
            entry,
            wanted,
        )
        for listing in live.listings if live else []:
            if listing not in wanted or live.entry.sort_key != entry.sort_key:
                self._remove(listing, live.entry, listings)
        for listing in wanted:
            self._add(
                listing, entry, listings, replace=live is not None and live.entry != entry, replay=replay
            )
        if live is None or live.entry != entry or replay:
            if live is not None:
                self._month_changed(months, live.entry, removed=live.entry.sort_key != entry.sort_key)
            self._month_changed(months, entry)
            if live is not None:
                self._unindex(live.entry, searched, out, keep=search.shards(entry))
            self._index(entry, searched)
        new_record = SiteRecord(entry=entry, listings=wanted, revision=article.revision)
        self.index.put_record(new_record)
        self._write_article(article, new_record, out)

    @staticmethod
    def _month_changed(months: dict[str, MonthChange], entry: Entry, *, removed: bool = False) -> None:
        change = months.setdefault(entry.month, MonthChange())
        change.keys.add(entry.sort_key)
        change.removed += removed

    def _remove(self, listing: str, entry: Entry, listings: dict[str, ListingChange]) -> None:
        before = self.index.count(listing)
        if self.index.remove_entry(listing, entry):
            self._track(listings, listing, before, before - 1, entry)
        else:
            self._removed_again(listing, entry, listings)

    def _removed_again(self, listing: str, entry: Entry, listings: dict[str, ListingChange]) -> None:
        after = self.index.count(listing)
        self._track(listings, listing, after + 1, after, entry)

    def _add(
        self, listing: str, entry: Entry, listings: dict[str, ListingChange], *, replace: bool, replay: bool
    ) -> None:
        before = self.index.count(listing)
        if self.index.add_entry(listing, entry):
            self._track(listings, listing, before, before + 1, entry)
        elif replace:  # same place, new title/excerpt/tags
            self.index.replace_entry(listing, entry)
            self._track(listings, listing, before, before, entry)
        elif replay:  # written as if it had just been added, which is what the first delivery did
            self._track(listings, listing, before - 1, before, entry)

    @staticmethod
    def _track(
        listings: dict[str, ListingChange], listing: str, before: int, after: int, entry: Entry
    ) -> None:
        change = listings.setdefault(listing, ListingChange(before, after))
        change.after = after
        change.keys.add(entry.sort_key)

    def _index(self, entry: Entry, searched: SearchChange) -> None:
        for shard, words in search.shards(entry).items():
            self.index.search_put(shard, entry.slug, search.posting(entry, words))
            searched.shards.add(shard)
        searched.days.add(search.day_of(entry))

    def _unindex(
        self, entry: Entry, searched: SearchChange, out: SiteChanges, keep: dict[str, list[str]] | None = None
    ) -> None:
        for shard in search.shards(entry):
            if shard not in (keep or {}):
                self.index.search_remove(shard, entry.slug)
            searched.shards.add(shard)
        searched.days.add(search.day_of(entry))  # withdrawn or moved: its day's documents change

    def _write_search(self, searched: SearchChange, out: SiteChanges) -> None:
        for shard in sorted(searched.shards):
            docs = self.index.search_docs(shard)
            if docs:
                out.put(search.shard_key(shard), self.renderer.search_json({"docs": docs}), JSON)
            else:
                out.delete(search.shard_key(shard))
        for day in sorted(searched.days):
            # the day's public articles are the home listing's entries of that day (sort key: published)
            entries = self.index.between(ALL, day, day + "\uffff")
            documents = {e.slug: search.document(e, url_path(article_key(e.slug))) for e in entries}
            if documents:
                out.put(search.doc_key(day), self.renderer.search_json({"docs": documents}), JSON)
            else:
                out.delete(search.doc_key(day))

    def _write_tags_index(self, out: SiteChanges) -> None:
        labels = self.index.all_labels()
        tags = [(k, labels[k]) for k in sorted(labels, key=lambda k: labels[k].casefold())]
        live = [(k, label) for k, label in tags if self.index.count(tag_listing(k))]
        out.put(TAGS_INDEX_KEY, self.renderer.tags_page(live), HTML)

    # -- what gets rendered -------------------------------------------------------------------------
    def _write_article(self, article: Article, record: SiteRecord, out: SiteChanges) -> None:
        related = self.related(article.slug)
        public = self.index.public_among(r.slug for r in related)
        related = [r for r in related if r.slug in public]
        updated = record.entry.updated
        out.put(article_key(article.slug), self.renderer.article_page(article, related, updated), HTML)
        out.put(article_api_key(article.slug), self.renderer.api_article(article, related, updated), JSON)

    def write_listing(self, listing: str, out: SiteChanges) -> None:
        """Every page, feed and API document of ``listing``, its pages cut afresh (a full publish)."""
        self._write_listing(listing, ListingChange(0, self.index.count(listing)), out)

    def _write_listing(self, listing: str, change: ListingChange, out: SiteChanges) -> None:
        total = change.after
        latest = self.index.newest(listing, FEED_SIZE)
        title = listing_title(listing, latest, self.renderer.settings.name)
        if total == 0 and listing != ALL:  # the last article of a tag or author left: its pages go
            for page in [
                *self.index.pages_before(listing, "", 1),
                *self.index.pages_after(listing, "", None),
            ]:
                self._delete_page(listing, page.number, out)
            self.index.set_pages(listing, {})
            self._delete_page(listing, 0, out)
            for key in feed_keys(listing):
                out.delete(key)
            return
        front = self.index.pages_before(listing, "\uffff", 2)
        if change.before == 0 or not front:  # a new listing, a full publish, or one stored before pages were
            self._cut(listing, title, out)
        else:
            self._write_pages(listing, title, change, front, out)
        # the feeds show the latest FEED_SIZE: an old article withdrawn or back-dated leaves them as they are
        in_feed = len(latest) < FEED_SIZE or any(key >= latest[-1].sort_key for key in change.keys)
        if change.before == 0 or in_feed:
            rss_key, json_key = feed_keys(listing)
            out.put(rss_key, self.renderer.rss(title, listing, latest), RSS)
            out.put(json_key, self.renderer.json_feed(title, listing, latest), JSON_FEED)

    def _cut(self, listing: str, title: str, out: SiteChanges) -> None:
        entries = self.index.between(listing, "", "\uffff")
        starts = cut([e.sort_key for e in entries], self.page_size)
        self.index.set_pages(listing, starts)
        for spec in layout(len(entries), self.page_size).values():
            self._put_page(listing, title, spec, entries[spec.first : spec.stop], out)

    def _write_pages(
        self, listing: str, title: str, change: ListingChange, stored: list[PageStart], out: SiteChanges
    ) -> None:
        """The pages holding the changed entries, and the front page's oldest sealed into an archive page
        when it holds more than two pages' worth: a bounded number of pages, whatever the listing's size."""
        front, newest = stored[0].start, stored[1] if len(stored) > 1 else None
        starts: set[str] = set()
        for key in change.keys:
            starts.add(front if key >= front else self.index.pages_before(listing, key, 1)[0].start)
        if newest is not None and newest.by in change.keys:  # a replay of the event that sealed it
            starts |= {
                newest.start,
                *(p.start for p in self.index.pages_before(listing, newest.start, 2)[1:]),
            }
        entries = self.index.between(listing, front, "\uffff")
        size = self.page_size
        while len(entries) > 2 * size:
            number = newest.number + 1 if newest is not None else 1
            if newest is not None:
                starts.add(newest.start)  # its "newer" link now names the sealed page
            newest = PageStart(front, number, max(change.keys))
            self.index.seal_page(listing, newest, entries[size].sort_key)
            starts.add(front)
            front, entries = entries[size].sort_key, entries[size:]
            starts.add(front)
        for start in sorted(starts):
            self._write_page(listing, title, start, out)

    def _write_page(self, listing: str, title: str, start: str, out: SiteChanges) -> None:
        """One page from the stored state: its entries are those from its start to the next page's."""
        this, *older = self.index.pages_before(listing, start, 2)
        newer = self.index.pages_after(listing, start, 1)
        high = newer[0].start if newer else "\uffff"
        low = this.start if older else ""  # the oldest page holds everything before it too
        entries = [e for e in self.index.between(listing, low, high) if e.sort_key < high]
        spec = PageSpec(
            this.number or None,
            0,
            len(entries),
            older[0].number if older else None,
            newer[0].number or None if newer else None,
        )
        self._put_page(listing, title, spec, entries, out)

    def _put_page(
        self, listing: str, title: str, spec: PageSpec, entries: list[Entry], out: SiteChanges
    ) -> None:
        out.put(page_key(listing, spec.number), self._page(listing, title, spec, entries), HTML)
        api_key = listing_api_key(listing, spec.number)
        if api_key:  # the page's JSON twin: the same articles, the same stable numbering
            out.put(api_key, self.renderer.api_listing(listing, title, entries, spec), JSON)

    @staticmethod
    def _delete_page(listing: str, number: int, out: SiteChanges) -> None:
        out.delete(page_key(listing, number or None))
        api_key = listing_api_key(listing, number or None)
        if api_key:
            out.delete(api_key)

    def _page(self, listing: str, title: str, spec: PageSpec, entries: list[Entry]) -> bytes:
        return self.renderer.listing_page(listing, title, spec, entries)

    def _write_sitemaps(
        self, months: Iterable[str], out: SiteChanges, changes: dict[str, MonthChange] | None = None
    ) -> None:
        """The sitemaps of ``months`` (each month cut into parts of ``sitemap_urls``, oldest first), the
        index and the news sitemap. With ``changes`` (an incremental publish) only the parts from the first
        changed article on are written, and parts left empty by removals are deleted."""
        per = self.sitemap_urls
        for month in sorted(months):
            entries = self.index.between(ALL, month, month + "\uffff")
            parts = sitemap_parts(len(entries), per)
            change = (changes or {}).get(month)
            first = 0
            if change is not None and change.keys:
                sort_keys = [e.sort_key for e in entries]
                first = min(bisect_left(sort_keys, key) for key in change.keys) // per
            for part in range(first, parts):
                chunk = entries[part * per : (part + 1) * per]
                out.put(month_sitemap_key(month, part + 1), self.renderer.month_sitemap(chunk), XML)
            gone = sitemap_parts(len(entries) + change.removed, per) if change is not None else parts
            for part in range(parts, gone):
                out.delete(month_sitemap_key(month, part + 1))
        counts = self.index.month_counts()
        sitemaps = [
            month_sitemap_key(month, part + 1)
            for month in sorted(counts)
            for part in range(sitemap_parts(counts[month], per))
        ]
        out.put(SITEMAP_INDEX_KEY, self.renderer.sitemap_index(sitemaps), XML)
        since = (self.now() - NEWS_WINDOW).isoformat()
        # Google News reads at most 1,000 URLs of the last two days: the newest of them
        recent = list(reversed(self.index.between(ALL, since, "\uffff")))[:NEWS_MAX_URLS]
        if recent:
            out.put(NEWS_SITEMAP_KEY, self.renderer.news_sitemap(recent), XML)
        else:  # the sitemaps.org schema wants at least one <url>
            out.delete(NEWS_SITEMAP_KEY)

    # -- everything, from scratch ---------------------------------------------------------------------
    def publish_all(
        self,
        articles: Iterable[Article],
        progress: Callable[[int], None] | None = None,
        updated: dict[str, str] | None = None,
    ) -> SiteChanges:
        """Every object of the site (into an index that starts empty): ``newsdrop publish --all``.
        ``updated``: when each corrected article was corrected, kept from the previous site records."""
        out = SiteChanges()
        public = [with_site_labels(a, self.index) for a in articles if is_public(a)]
        for article in public:
            entry = entry_for(article, (updated or {}).get(article.slug))
            record = SiteRecord(entry=entry, listings=listings_for(article), revision=article.revision)
            self.index.put_record(record)
            for listing in record.listings:
                self.index.add_entry(listing, entry)
        for done, article in enumerate(public, 1):
            self._write_article(article, self.index.get_record(article.slug), out)
            if progress:
                progress(done)
        listing_names = {name for a in public for name in listings_for(a)} | {ALL}
        for listing in sorted(listing_names):
            self.write_listing(listing, out)
        self._write_sitemaps({e.month for e in self.index.between(ALL, "", "\uffff")}, out)
        searched = SearchChange()
        for article in public:
            self._index(self.index.get_record(article.slug).entry, searched)
        self._write_search(searched, out)
        self._write_tags_index(out)
        for key, page in self.renderer.standing_pages().items():
            out.put(key, page, HTML)
        return out
