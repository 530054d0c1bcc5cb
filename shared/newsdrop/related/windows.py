"""The canonical replay split into windows: a reindex of an archive too large for one sequential replay.

The canonical lists are a replay of every article in (published, slug) order (``engine.reindex_all``).
At a million articles that replay is about 14 hours of one process holding the whole index, beyond a
Lambda's memory near 120,000 articles (docs/archive.md). Here it is cut into windows of ``WINDOW``
articles, each replayed by its own invocation, all at once:

- **The statistics are exact.** What the replay folds is compact and known in advance: a fold happens at
  positions that depend only on the count of articles (``fold_positions``), and folds in document
  frequencies that are sums of each article's distinct terms, whatever the order in between. So a window
  starts at a fold position with the exact snapshot of that point (version, N, every DF: a prefix sum of
  per-chunk counts), and folds exactly as the full replay does from there.
- **The topic fits are exact.** A fit reads the documents of the ``TOPIC_FIT_DOCS`` articles before it
  (their kept frequencies, which depend on the statistics of their own time). A window rebuilds them by
  replaying the statistics alone (no scoring, no embedding: ``replay_statistics``) over the articles before its start,
  and, when the last fit before it is further back, that fit the same way (``seed``). So every fit,
  inside a window or before it, is the full replay's.
- **The centre is exact.** The centred cosine's centre is the sum of the folded articles' sentence
  embeddings, rounded at each fold (``semantic.fold_centre``): a sequential walk over each article's
  embedding in order (``CentreWalk``), fold by fold, gives it at every window start.
- **The postings and documents' frequencies are exact.** A postings list is the heaviest documents of a
  term, a top-k of a set whose weights depend only on each document and the statistics of its time:
  merging every window's postings gives the full replay's.
- **The lists are approximate.** An article's candidates are the articles of its window: those of its own
  part before it, and the ``WARMUP`` articles replayed before that part. An article also receives the
  offers of the articles after it in its own window, and of the next windows' articles (it is in their
  warm-up): its list is the best of those (``merge``). An older article outside the warm-up is not a
  candidate; an offer from further ahead is not made. ``bench/archive_windows.py`` measures how far the
  lists are from the full replay's; with one window (an archive of at most ``WINDOW`` articles) they are
  equal, item for item.
- Holders (who lists whom, for removals) are every list fragment's entries: a superset of the final
  lists' (harmless: a removal filters each list it visits).

Each window replays at most ``TOPIC_FIT_DOCS`` + ``WARMUP`` + ``WINDOW`` articles, so its time and memory
are bounded whatever the archive's size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from newsdrop.models import Article, RelatedEntry
from newsdrop.related import engine
from newsdrop.related.engine import (
    Delta,
    DocRecord,
    InMemoryRelatedIndex,
    StatsHead,
    TermStats,
    doc_from_article,
    order_key,
    update_for_article,
)

WINDOW = 5000  # articles whose lists one window owns (at ~30 ms an article, 5 minutes with its warm-up)
WARMUP = 5000  # articles replayed before them: their candidates and the older articles they are offered to


def fold_positions(n: int) -> list[int]:
    """The numbers of articles folded into the statistics after each fold of a replay of ``n`` articles
    (0 first): the k-th snapshot (version k) covers the first ``positions[k]`` articles. A fold happens at
    the start of the update of the article at that position, when the pending deltas reach the engine's
    threshold (``engine._folded_stats``)."""
    positions = [0]
    while True:
        p = positions[-1]
        p += min(engine.FOLD_BATCH, max(engine.FOLD_MIN, math.ceil(p * engine.FOLD_FRACTION)))
        if p >= n:
            return positions
        positions.append(p)


def fit_positions(folds: Sequence[int]) -> list[int]:
    """The fold positions at which the replay fits a topic model (``engine._folded_stats``)."""
    fits: list[int] = []
    for p in folds[1:]:
        if engine.TOPIC_WEIGHT and p >= max(
            engine.TOPIC_FIRST_FIT, engine.TOPIC_REFIT * (fits[-1] if fits else 0)
        ):
            fits.append(p)
    return fits


def _at_or_before(positions: Sequence[int], x: int) -> int:
    return max(p for p in positions if p <= x)


@dataclass(frozen=True)
class Window:
    number: int
    start: int  # the first article replayed (a fold position)
    own: int  # the first article whose list this window owns
    end: int  # one past its last article


def plan_windows(n: int, size: int = WINDOW, warmup: int = WARMUP) -> list[Window]:
    folds = fold_positions(n)
    return [
        Window(number, _at_or_before(folds, max(0, own - warmup)), own, min(n, own + size))
        for number, own in enumerate(range(0, n, size))
    ]


def article_terms(article: Article) -> list[str]:
    """The distinct unigrams an article adds to the document frequencies (``DocRecord.terms``)."""
    return doc_from_article(article, TermStats(), embed=False).terms


def embeddings(articles: Iterable[Article]) -> dict[str, str]:
    """Each article's packed sentence embedding by its document fingerprint (empty without the semantic
    signal). Computed once an article, before the windows: a window's replay finds them remembered
    (``remember``) instead of running the model again for its warm-up."""
    if not engine.SEMANTIC_WEIGHT:
        return {}
    docs = (doc_from_article(a, TermStats()) for a in articles)
    return {d.fingerprint: d.emb for d in docs if d.emb}


def remember(vectors: Mapping[str, str]) -> None:
    from newsdrop.related import semantic

    semantic.remember(DocRecord("", "", "", "", [], {}, [], f, emb=e) for f, e in vectors.items())


def chunk_summary(
    articles: Iterable[Article],
) -> tuple[dict[str, int], dict[str, str], list[tuple[str, str]]]:
    """A chunk's document-frequency counts (``count_terms``), its vectors by fingerprint (``embeddings``)
    and each article's (delta key, packed embedding) in order (``delta_embeddings``), from one document
    an article."""
    docs = [doc_from_article(a, TermStats(), embed=bool(engine.SEMANTIC_WEIGHT)) for a in articles]
    keyed = [(f"{d.slug}#{d.fingerprint}", d.emb) for d in docs]
    return count_of(d.terms for d in docs), {d.fingerprint: d.emb for d in docs if d.emb}, keyed


def delta_embeddings(articles: Iterable[Article]) -> list[tuple[str, str]]:
    """Each article's (delta key, packed embedding) in order: what its fold adds to the centre."""
    return chunk_summary(articles)[2]


@dataclass
class CentreWalk:
    """The replay's centre (``TermStats.centre_sum``, ``centre_n``) fold by fold, over the articles'
    ``delta_embeddings`` in order, kept at the ``wanted`` fold positions (the windows' starts). Small
    and picklable: the Prefix step checkpoints it between invocations."""

    folds: list[int]
    wanted: set[int]
    position: int = 0
    fold: int = 1  # the index in ``folds`` of the next fold
    total: list[float] = field(default_factory=list)
    count: int = 0
    pending: list[tuple[str, str]] = field(default_factory=list)
    at: dict[int, tuple[list[float], int]] = field(default_factory=dict)

    @classmethod
    def over(cls, n: int, wanted: Iterable[int]) -> CentreWalk:
        walk = cls(fold_positions(n), set(wanted))
        if 0 in walk.wanted:
            walk.at[0] = ([], 0)
        return walk

    def add(self, keyed: Iterable[tuple[str, str]]) -> None:
        from newsdrop.related import semantic

        for key, emb in keyed:
            self.pending.append((key, emb))
            self.position += 1
            if self.fold < len(self.folds) and self.position == self.folds[self.fold]:
                # the fold reads its deltas in key order (``list_deltas``), each summed in that order
                deltas = [Delta(k, 1, [], e) for k, e in sorted(self.pending)]
                if any(d.emb for d in deltas):
                    self.total, self.count = semantic.fold_centre(self.total, self.count, deltas)
                self.pending.clear()
                self.fold += 1
                if self.position in self.wanted:
                    self.at[self.position] = (self.total, self.count)


def count_terms(articles: Iterable[Article]) -> dict[str, int]:
    return count_of(article_terms(a) for a in articles)


def count_of(term_lists: Iterable[Sequence[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for terms in term_lists:
        for term in terms:
            counts[term] = counts.get(term, 0) + 1
    return counts


def add_counts(total: dict[str, int], more: Mapping[str, int]) -> dict[str, int]:
    for term, count in more.items():
        total[term] = total.get(term, 0) + count
    return total


# --- the statistics alone ------------------------------------------------------------------------
class _StatsOnly:
    """The part of the index protocol the fold reads and writes (``engine._folded_stats``), with lists
    that are never kept: a replay of the statistics and the documents' kept frequencies."""

    def __init__(self, stats: TermStats) -> None:
        self.stats = stats
        self.deltas: dict[str, Delta] = {}
        self.docs: dict[str, DocRecord] = {}

    def get_stats_head(self) -> StatsHead:
        return StatsHead(self.stats.version, len(self.deltas))

    def get_stats(self, version: int) -> TermStats:
        return self.stats

    def list_deltas(self, limit: int | None = None) -> list[Delta]:
        return [self.deltas[k] for k in sorted(self.deltas)[:limit]]

    def commit_stats(self, stats: TermStats, consumed: Sequence[str], expected_version: int) -> bool:
        self.stats = stats
        for key in consumed:
            self.deltas.pop(key, None)
        return True

    def get_docs(self, slugs: Iterable[str]) -> dict[str, DocRecord]:
        return {s: self.docs[s] for s in slugs if s in self.docs}

    def get_lists(self, slugs: Iterable[str]) -> dict[str, list[RelatedEntry]]:
        return {}

    def put_lists(self, lists: Mapping[str, list[RelatedEntry]]) -> None:
        pass

    def change_holders(self, added: Mapping[str, set[str]], removed: Mapping[str, set[str]]) -> None:
        pass


def replay_statistics(
    stats: TermStats, articles: Sequence[Article], *, keep_all: bool = False
) -> tuple[TermStats, dict[str, DocRecord]]:
    """Replay the statistics over ``articles`` (which end at a fold position) from ``stats``, without
    scoring or embedding: the snapshot after the fold at their end, and the documents of its ``recent``
    articles (every document with ``keep_all``, as bench/related_scale.py builds a large index)."""
    index = _StatsOnly(stats)
    for article in articles:
        current, _ = engine._folded_stats(index)
        doc = doc_from_article(article, current, embed=False)
        index.docs[doc.slug] = doc
        key = f"{doc.slug}#{doc.fingerprint}"
        index.deltas[key] = Delta(key, 1, doc.terms)
    final, _ = engine._folded_stats(index)
    if keep_all:
        return final, index.docs
    return final, {s: index.docs[s] for s in final.recent if s in index.docs}


def _recent(folds: Sequence[int], slugs: Sequence[str], k: int) -> list[str]:
    """``TermStats.recent`` after the k-th fold: each fold appends its articles' slugs sorted."""
    out: list[str] = []
    for j in range(k, 0, -1):
        out[:0] = sorted(slugs[folds[j - 1] : folds[j]])
        if len(out) >= engine.TOPIC_FIT_DOCS:
            break
    return out[-engine.TOPIC_FIT_DOCS :]


@dataclass
class Source:
    """The ordered articles as a window task reaches them: ``articles(a, b)`` (positions a..b-1),
    ``slugs`` (all, in order: a few MB at a million) and ``df_at(x)``, the document frequencies of the
    first x articles (a prefix sum of per-chunk counts)."""

    articles: Callable[[int, int], Sequence[Article]]
    slugs: Sequence[str]
    df_at: Callable[[int], dict[str, int]]
    # the centre after the fold at a window's start (``CentreWalk.at``); None: the seed leaves it empty
    centre_at: Callable[[int], tuple[list[float], int]] | None = None


@dataclass(frozen=True)
class _Walk:
    at: int  # a fold position: the walk starts from the exact snapshot there
    to: int  # the fold position where it stops
    fitted: int  # the snapshot's ``topics_fit``
    carried: bool  # whether it starts with the model of the walk before (else with none)


def _walks(n: int, p: int) -> list[_Walk]:
    """How ``seed`` reaches the snapshot at ``p``: one walk over the ``TOPIC_FIT_DOCS`` articles before
    it (their documents, for a fit inside the window), which passes the last fit before ``p`` if that
    fit is that close, or else starts with the model of a walk of its own that ends at that fit."""
    if p == 0:
        return []
    folds = fold_positions(n)
    fits = [f for f in fit_positions(folds) if f <= p]
    last = fits[-1] if fits else 0
    before = fits[-2] if len(fits) > 1 else 0
    start = _at_or_before(folds, max(0, p - engine.TOPIC_FIT_DOCS))
    from_last = _at_or_before(folds, max(0, last - engine.TOPIC_FIT_DOCS))
    if last > start:
        return [_Walk(min(start, from_last), p, before, False)]
    if last:
        return [_Walk(from_last, last, before, False), _Walk(start, p, last, True)]
    return [_Walk(start, p, 0, False)]


def seed_positions(n: int, p: int) -> list[int]:
    """Where ``seed`` reads document frequencies (``Source.df_at``)."""
    return [w.at for w in _walks(n, p)]


def seed(source: Source, p: int) -> tuple[TermStats, dict[str, DocRecord]]:
    """The full replay's statistics right after its fold at position ``p`` (topic model included), and
    the documents of their ``recent`` articles, computed from the articles before ``p`` alone."""
    folds = fold_positions(len(source.slugs))
    stats, docs = TermStats(), {}
    for walk in _walks(len(source.slugs), p):
        k = folds.index(walk.at)
        model = stats if walk.carried else None
        start = TermStats(
            version=k,
            n_docs=walk.at,
            df=dict(sorted((t, c) for t, c in source.df_at(walk.at).items() if c > 0)),
            topics=model.topics if model else {},
            topics_fit=walk.fitted,
            topics_id=model.topics_id if model else "",
            recent=_recent(folds, source.slugs, k),
        )
        stats, docs = replay_statistics(start, source.articles(walk.at, walk.to))
    if source.centre_at is not None and p:
        centre_sum, centre_n = source.centre_at(p)
        stats = replace(stats, centre_sum=centre_sum, centre_n=centre_n)
    return stats, docs


# --- a window's replay, and the merge ---------------------------------------------------------------
@dataclass
class WindowResult:
    """What a window contributes (a part of it: ``split``)."""

    docs: dict[str, DocRecord] = field(default_factory=dict)  # its own articles'
    lists: dict[str, list[RelatedEntry]] = field(default_factory=dict)  # own lists, and offers to older ones
    postings: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # its own articles' entries
    holders: dict[str, set[str]] = field(default_factory=dict)
    final: InMemoryRelatedIndex | None = None  # the last window's statistics, deltas and head


def replay_window(source: Source, window: Window) -> WindowResult:
    stats, recent_docs = seed(source, window.start)
    index = InMemoryRelatedIndex()
    index.stats = {stats.version: stats}
    index.head = StatsHead(stats.version, 0)
    index.docs.update(recent_docs)  # for a fit inside the window: never posted, so never a candidate
    articles = source.articles(window.start, window.end)
    for article in articles:
        update_for_article(index, article)
    own = {a.slug for a in articles[window.own - window.start :]}
    result = WindowResult(docs={s: index.docs[s] for s in own})
    for slug, entries in index.lists.items():
        kept = entries if slug in own else [e for e in entries if e.slug in own]
        if kept and (slug in own or slug not in recent_docs):
            result.lists[slug] = kept
            for entry in kept:
                result.holders.setdefault(entry.slug, set()).add(slug)
    for term, plist in index.postings.items():
        mine = [p for p in plist if p[0] in own]
        if mine:
            result.postings[term] = mine
    if window.end == len(source.slugs):
        final = InMemoryRelatedIndex()
        final.head, final.deltas, final.newest = index.head, index.deltas, index.newest
        final.stats = {index.head.version: index.stats[index.head.version]}
        result.final = final
    return result


def split(result: WindowResult, parts: int, part_of: Callable[[str, int], int]) -> list[WindowResult]:
    """The result in ``parts`` by object (a slug, a term), each merged on its own; the final state in 0."""
    out = [WindowResult() for _ in range(parts)]
    for name in ("docs", "lists", "postings", "holders"):
        for key, value in getattr(result, name).items():
            getattr(out[part_of(key, parts)], name)[key] = value
    out[0].final = result.final
    return out


def merge(results: Iterable[WindowResult]) -> InMemoryRelatedIndex:
    """The windows' contributions as one index: each list the best of its fragments, each postings list
    the heaviest of its entries, the holders their union, the statistics the last window's."""
    index = InMemoryRelatedIndex()
    fragments: dict[str, list[RelatedEntry]] = {}
    for result in results:
        index.docs.update(result.docs)
        for slug, entries in result.lists.items():
            fragments.setdefault(slug, []).extend(entries)
        for term, plist in result.postings.items():
            index.postings[term] = engine._heaviest([*index.postings.get(term, []), *plist], term)
        for slug, owners in result.holders.items():
            index.holders.setdefault(slug, set()).update(owners)
        if result.final is not None:
            index.head, index.deltas, index.newest = (
                result.final.head,
                result.final.deltas,
                result.final.newest,
            )
            index.stats = result.final.stats
    for slug, entries in fragments.items():
        best: dict[str, RelatedEntry] = {}
        for entry in entries:
            if entry.slug not in best or entry.score > best[entry.slug].score:
                best[entry.slug] = entry
        index.lists[slug] = engine._rank(best.values())
    return index


def in_memory_source(articles: Iterable[Article]) -> Source:
    """A Source over articles in memory (tests and benches; the state machine reads S3 chunks)."""
    ordered = sorted(articles, key=lambda a: order_key(a.published.isoformat(), a.slug))
    terms = [article_terms(a) for a in ordered]
    step = 1000
    prefix: list[dict[str, int]] = [{}]  # the counts of the first step * k articles, built as needed

    def df_at(x: int) -> dict[str, int]:
        while len(prefix) <= x // step:
            k = len(prefix)
            prefix.append(add_counts(dict(prefix[-1]), count_of(terms[(k - 1) * step : k * step])))
        return add_counts(dict(prefix[x // step]), count_of(terms[x // step * step : x]))

    walk = CentreWalk.over(
        len(ordered), fold_positions(len(ordered))
    )  # kept at every fold: seeds ask in order

    def centre_at(x: int) -> tuple[list[float], int]:
        if walk.position < x:
            walk.add(delta_embeddings(ordered[walk.position : x]))
        return walk.at[x]

    return Source(lambda a, b: ordered[a:b], [a.slug for a in ordered], df_at, centre_at)


def windowed_reindex(
    articles: Iterable[Article], size: int = WINDOW, warmup: int = WARMUP
) -> InMemoryRelatedIndex:
    """The whole computation in one process: what the state machine's windows compute, merged."""
    source = in_memory_source(articles)
    results = []
    for window in plan_windows(len(source.slugs), size, warmup):
        remember(embeddings(source.articles(window.own, window.end)))  # the warm-up's: remembered before
        results.append(replay_window(source, window))
    return merge(results)
