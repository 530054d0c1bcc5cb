"""The related index's storage protocol in dicts, counting items read and written as DynamoDB would
bill them (the benches' and tests' index; ``reindex_all`` builds the canonical index in it)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from newsdrop.models import RelatedEntry
from newsdrop.related.records import Delta, DocRecord, StatsHead, TermStats
from newsdrop.related.topics import TOPICS


class InMemoryRelatedIndex:
    """The protocol in dicts, counting items read/written as DynamoDB would (one per item, a Query
    counting the items it returns, a snapshot counting its shards)."""

    SNAPSHOT_ITEM_BYTES = 350_000

    def __init__(self) -> None:
        self.docs: dict[str, DocRecord] = {}
        self.postings: dict[str, list[tuple[str, float]]] = {}
        self.lists: dict[str, list[RelatedEntry]] = {}
        self.holders: dict[str, set[str]] = {}
        self.head = StatsHead()
        self.stats: dict[int, TermStats] = {0: TermStats()}
        self.deltas: dict[str, Delta] = {}
        self.newest = ""  # order_key of the newest article applied in canonical order
        self.generation = 0  # updates begun
        self.dirty = False
        self.reads = 0
        self.writes = 0
        self._cached_stats: TermStats | None = None

    def get_docs(self, slugs: Iterable[str]) -> dict[str, DocRecord]:
        out = {s: self.docs[s] for s in dict.fromkeys(slugs) if s in self.docs}
        self.reads += max(1, len(out))
        return out

    def put_doc(self, doc: DocRecord) -> None:
        self.writes += 1
        self.docs[doc.slug] = doc

    def delete_doc(self, slug: str) -> None:
        self.writes += 1
        self.docs.pop(slug, None)

    def get_postings(self, terms: Iterable[str]) -> dict[str, list[tuple[str, float]]]:
        terms = list(dict.fromkeys(terms))
        self.reads += len(terms)
        return {t: list(self.postings[t]) for t in terms if t in self.postings}

    def put_postings(self, postings: Mapping[str, list[tuple[str, float]]]) -> None:
        for term, plist in postings.items():
            self.writes += 1
            if plist:
                self.postings[term] = list(plist)
            else:
                self.postings.pop(term, None)

    def get_lists(self, slugs: Iterable[str]) -> dict[str, list[RelatedEntry]]:
        slugs = list(dict.fromkeys(slugs))
        self.reads += len(slugs)
        return {s: list(self.lists[s]) for s in slugs if s in self.lists}

    def put_lists(self, lists: Mapping[str, list[RelatedEntry]]) -> None:
        for slug, entries in lists.items():
            self.writes += 1
            if entries:
                self.lists[slug] = list(entries)
            else:
                self.lists.pop(slug, None)

    def get_holders(self, slug: str) -> set[str]:
        self.reads += 1
        return set(self.holders.get(slug, ()))

    def change_holders(self, added: Mapping[str, set[str]], removed: Mapping[str, set[str]]) -> None:
        for slug in set(added) | set(removed):
            self.writes += 1
            current = self.holders.setdefault(slug, set())
            current |= added.get(slug, set())
            current -= removed.get(slug, set()) - added.get(slug, set())
            if not current:
                del self.holders[slug]

    def begin_update(self, key: str) -> bool:
        self.writes += 1
        self.generation += 1
        if key > self.newest:
            self.newest = key
            return True
        return False

    def mark_dirty(self) -> None:
        self.writes += 1
        self.dirty = True

    def get_stats_head(self) -> StatsHead:
        self.reads += 1
        return StatsHead(self.head.version, self.head.pending)

    def get_stats(self, version: int) -> TermStats:
        stats = self.stats[version]
        if self._cached_stats is not stats:  # a warm Lambda keeps the snapshot of the current version
            self.reads += self._snapshot_items(stats)
            self._cached_stats = stats
        return stats

    def _snapshot_items(self, stats: TermStats) -> int:
        size = sum(len(t) + 4 for t in stats.df) // 3  # compressed, roughly
        size += (
            sum(len(t) + 6 * TOPICS for t in stats.topics) // 2 + sum(len(s) + 3 for s in stats.recent) // 3
        )
        size += 12 * len(stats.centre_sum)
        return max(1, math.ceil(size / self.SNAPSHOT_ITEM_BYTES))

    def put_delta(self, delta: Delta) -> None:
        self.writes += 2  # the delta item and the head's pending counter
        self.deltas[delta.key] = delta
        self.head.pending += 1

    def list_deltas(self, limit: int | None = None) -> list[Delta]:
        keys = sorted(self.deltas)[:limit]
        self.reads += max(1, len(keys))
        return [self.deltas[k] for k in keys]

    def commit_stats(self, stats: TermStats, consumed: Sequence[str], expected_version: int) -> bool:
        if self.head.version != expected_version:
            return False
        self.writes += self._snapshot_items(stats) + 1 + len(consumed)
        self.stats = {stats.version: stats}
        for key in consumed:
            self.deltas.pop(key, None)
        self.head = StatsHead(stats.version, max(0, self.head.pending - len(consumed)))
        return True

    def clear(self) -> None:
        reads, writes = self.reads, self.writes
        self.__init__()
        self.reads, self.writes = reads, writes
