"""Search with no server: an inverted index the publisher keeps as static JSON shards, one per two-letter
term prefix (``/search/<prefix>.json``), which ``static/search.js`` fetches as the reader types.

An article's terms come from what its list entry shows (title, standfirst or excerpt, tags, authors), so
the index of an article changes exactly when its entry does, and a new article rewrites only the shards
of its own terms (a few dozen objects, the same at any site size). Each shard holds, for every article
with a term in it, only its slug, date and terms of that prefix (a shard of a common prefix lists many
articles: each costs it a few dozen bytes); what a result shows (title, address, excerpt) is the
article's small document, fetched for the results shown from its day's file, ``/search/docs/<day>.json``
(the documents of the articles published that day, by slug; the posting's date names the day): one object
a day, not one an article, so a million-article archive writes thousands of them, not a million.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdrop.site.entries import Entry

PREFIX = 2  # shard by the first two characters of a term
_WORD = re.compile(r"[^\W_]+")
_SHARD_SAFE = re.compile(r"[a-z0-9]")
# Words too common to find anything with; the script drops the same ones from a query (search.js).
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
    ]
)


def fold(text: str) -> str:
    """Lower case, accents off (Café -> cafe): what the script does to the reader's words too."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def terms(entry: Entry) -> list[str]:
    """The words an article is found by, each once, in order."""
    text = " ".join([entry.title, entry.excerpt, *(t.label for t in entry.tags), *entry.names])
    words = (w for w in _WORD.findall(fold(text)) if len(w) >= PREFIX and w not in STOPWORDS)
    return list(dict.fromkeys(words))


def shard_of(term: str) -> str:
    """The shard a term lives in: its first two characters, each outside [a-z0-9] written "_" (the
    script maps a query word the same way), so shard names are always safe object keys."""
    return "".join(ch if _SHARD_SAFE.match(ch) else "_" for ch in term[:PREFIX])


def shards(entry: Entry) -> dict[str, list[str]]:
    """shard -> the article's terms in it."""
    out: dict[str, list[str]] = {}
    for term in terms(entry):
        out.setdefault(shard_of(term), []).append(term)
    return out


def shard_key(shard: str) -> str:
    return f"search/{shard}.json"


def day_of(entry: Entry) -> str:
    """The day (YYYY-MM-DD, UTC) whose documents file holds the article's: its posting's date."""
    return entry.published[:10]


def doc_key(day: str) -> str:
    return f"search/docs/{day}.json"


def posting(entry: Entry, words: list[str]) -> dict[str, Any]:
    """What one shard says about one article (short keys: shards are fetched while typing)."""
    return {"s": entry.slug, "d": day_of(entry), "w": words}


def document(entry: Entry, url: str) -> dict[str, Any]:
    """What a search result shows of an article."""
    return {"u": url, "t": entry.title, "e": entry.excerpt, "d": entry.published[:10]}
