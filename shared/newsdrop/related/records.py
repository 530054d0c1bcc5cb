"""Related posts' records (statistics snapshot, per-article document, deltas), the weighting of a
document's terms, and the storage protocol the engine is written against (``RelatedIndex``: DynamoDB in
``newsdrop.related.store``, dicts in ``newsdrop.related.memory``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from newsdrop.models import RelatedEntry
from newsdrop.related.topics import _project

IDF_POWER = 0.3
TF_K1 = 0.0  # BM25 saturation constant (0: square root)
SCORE_DIGITS = 6
VECTOR_CACHE = 4000  # weighted document vectors remembered per statistics snapshot


@dataclass
class TermStats:
    """A snapshot of document frequencies of unigrams (bigrams are not counted, see ``idf``)."""

    version: int = 0
    n_docs: int = 0
    df: dict[str, int] = field(default_factory=dict)
    # The topic model (see ``fit_topics``), carried from snapshot to snapshot until a refit:
    topics: dict[str, list[int]] = field(default_factory=dict)  # term -> IDF x its coordinates, x 1e5
    topics_fit: int = 0  # n_docs when the topics were fitted (0: never)
    topics_id: str = ""  # digest of ``topics``: names the model in the projection cache
    recent: list[str] = field(default_factory=list)  # slugs of the last TOPIC_FIT_DOCS articles folded in
    # The sum of the folded articles' sentence embeddings and their count: the corpus's centre, which
    # ``semantic.cosines`` takes out of every vector (see docs/related.md, "a centred cosine").
    centre_sum: list[float] = field(default_factory=list)
    centre_n: int = 0
    # A snapshot never changes, so each term's IDF and each document's weighted vector are computed once
    # per snapshot (the vectors bounded: a warm Lambda keeps its snapshot for many updates).
    _idf: dict[str, float] = field(default_factory=dict, repr=False, compare=False)
    _vectors: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict, repr=False, compare=False)

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            value = self._idf[term] = self._compute_idf(term)
        return value

    def _compute_idf(self, term: str) -> float:
        if "_" in term:  # a bigram is as specific as its rarer half, and then some
            a, _, b = term.partition("_")
            return max(self.idf(a), self.idf(b)) * 1.1
        return self.full_idf(term) ** IDF_POWER

    def vector(self, doc: DocRecord) -> dict[str, float]:
        """``weigh(doc.tf, self)``, remembered per (slug, fingerprint) for this snapshot."""
        key = (doc.slug, doc.fingerprint)
        vec = self._vectors.get(key)
        if vec is None:
            if len(self._vectors) >= VECTOR_CACHE:
                self._vectors.clear()
            vec = self._vectors[key] = weigh(doc.tf, self)
        return vec

    def full_idf(self, term: str) -> float:
        """BM25's IDF; the cosine's weights use it damped (``IDF_POWER``), the topic model in full."""
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def topic_vector(self, doc: DocRecord) -> list[float]:
        """The document's unit vector in the topic space (empty without a model or shared terms): its
        sqrt(tf) unigram vector projected on the terms' IDF-scaled coordinates (the IDF of the fit, so
        a projection holds as long as the model: remembered per model, document and fingerprint)."""
        if not self.topics:
            return []
        key = (self.topics_id, doc.slug, doc.fingerprint)
        vec = _TOPIC_VECTORS.get(key)
        if vec is None:
            if len(_TOPIC_VECTORS) >= VECTOR_CACHE:
                _TOPIC_VECTORS.clear()
            vec = _TOPIC_VECTORS[key] = _project(doc.tf, self.topics)
        return vec


_TOPIC_VECTORS: dict[tuple[str, str, str], list[float]] = {}


@dataclass
class StatsHead:
    version: int = 0
    pending: int = 0  # deltas written since the snapshot (approximate: a replay may count twice)


@dataclass
class Delta:
    key: str
    sign: int  # +1 article added, -1 removed
    terms: list[str]
    emb: str = (
        ""  # the article's packed sentence embedding: the fold adds it to (or takes it from) the centre
    )


@dataclass
class DocRecord:
    """What the index keeps per article: enough to score it and to show it in someone's list."""

    slug: str
    title: str
    excerpt: str
    published: str  # ISO 8601
    tags: list[str]
    tf: dict[str, float]  # raw frequencies of its strongest terms
    terms: list[str]  # distinct unigrams counted into the DF (for the removal delta)
    fingerprint: str  # of everything above: unchanged -> nothing to do (idempotent replays)
    posted: list[str] = field(default_factory=list)  # the terms whose postings list it
    ex: dict[str, float] = field(default_factory=dict)  # expanded unit vector (see _expanded)
    emb: str = ""  # packed sentence embedding (semantic.pack), "" without the semantic signal
    exemb: str = ""  # packed expanded embedding (semantic.expanded), set with ``ex`` when it is indexed


def _round(x: float, digits: int = SCORE_DIGITS) -> float:
    return float(f"{x:.{digits}f}")


# --- the storage protocol ----------------------------------------------------------------------------
class RelatedIndex(Protocol):
    """The few batch-friendly operations the algorithm needs. Missing keys are simply absent from the
    returned mappings. Putting an empty list deletes the item."""

    def get_docs(self, slugs: Iterable[str]) -> dict[str, DocRecord]: ...
    def put_doc(self, doc: DocRecord) -> None: ...
    def delete_doc(self, slug: str) -> None: ...

    def get_postings(self, terms: Iterable[str]) -> dict[str, list[tuple[str, float]]]: ...
    def put_postings(self, postings: Mapping[str, list[tuple[str, float]]]) -> None: ...

    def get_lists(self, slugs: Iterable[str]) -> dict[str, list[RelatedEntry]]: ...
    def put_lists(self, lists: Mapping[str, list[RelatedEntry]]) -> None: ...

    def get_holders(self, slug: str) -> set[str]: ...
    def change_holders(self, added: Mapping[str, set[str]], removed: Mapping[str, set[str]]) -> None: ...

    def begin_update(self, key: str) -> bool: ...
    def mark_dirty(self) -> None: ...

    def get_stats_head(self) -> StatsHead: ...
    def get_stats(self, version: int) -> TermStats: ...
    def put_delta(self, delta: Delta) -> None: ...
    def list_deltas(self, limit: int | None = None) -> list[Delta]: ...
    def commit_stats(self, stats: TermStats, consumed: Sequence[str], expected_version: int) -> bool: ...

    def clear(self) -> None: ...


def saturate(tf: float) -> float:
    """BM25-style saturation of a raw term frequency: the 10th mention adds little to the 9th."""
    if TF_K1 <= 0:
        return math.sqrt(tf)
    return tf * (TF_K1 + 1.0) / (tf + TF_K1)


def weigh(tf: Mapping[str, float], stats: TermStats) -> dict[str, float]:
    w = {t: saturate(c) * stats.idf(t) for t, c in tf.items()}
    norm = math.sqrt(sum(v * v for v in w.values())) or 1.0
    return {t: v / norm for t, v in w.items() if v > 0}
