"""What an archive run marks, so that the per-article stream work skips what the run does in bulk.

- An imported article's live item carries ``archive_run``: the stream mappings of the related function,
  the notifier and the publisher filter it out (``FilterCriteria`` on the new image).
- The related lists an import's reindex writes carry it too. The related table's stream is KEYS_ONLY, so
  its mapping cannot filter on an attribute: the publisher reads the changed lists in one batch
  (``StreamLists``), as it would have read them one by one to render their pages, and skips the marked
  ones, whose pages the import's publish-all renders from the same lists, whenever the stream is read.
  The related function writes a list whole (``put_lists``), so an article's list offered a new entry
  loses the marker and its page is rendered by the stream again, as any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ARCHIVE_MARKER = "archive_run"


def is_list_key(key: tuple[str, str]) -> bool:
    return key[0].startswith("DOC#") and key[1] == "RELATED"


def marked_lists(
    items: Mapping[tuple[str, str], dict[str, Any]], run: str
) -> dict[tuple[str, str], dict[str, Any]]:
    """``items`` (a related-table shard) with the run's marker on each related list."""
    return {key: {**item, ARCHIVE_MARKER: run} if is_list_key(key) else item for key, item in items.items()}


class StreamLists:
    """The related lists of a publisher's batch, read at once: which changed lists to render (those not
    written by an archive run), and their entries for the pages (``related_for``), so a rendered page
    does not read its list again. Each ``unmarked`` call starts afresh: nothing is kept between batches."""

    def __init__(self, related: Any):
        self.related = related  # DynamoDBRelatedIndex
        self._lists: dict[str, Any] = {}

    def unmarked(self, slugs: Iterable[str]) -> list[str]:
        slugs = list(slugs)
        by_slug = self.related.list_items(slugs) if slugs else {}
        marked = {s for s, item in by_slug.items() if ARCHIVE_MARKER in item}
        self._lists = {s: self.related.entries(item) for s, item in by_slug.items() if s not in marked}
        # a list gone (a removal) is rendered as before: its page shows none
        self._lists |= {s: [] for s in slugs if s not in by_slug}
        return [s for s in slugs if s not in marked]

    def related_for(self, slug: str) -> Any:
        if slug in self._lists:
            return self._lists[slug]
        return self.related.related_for(slug)
