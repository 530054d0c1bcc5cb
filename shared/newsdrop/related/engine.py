"""Related posts: features, scoring and the incremental update, written against a small storage protocol.

Pure domain logic (no boto3), here the scoring and the incremental update; its parts are
``newsdrop.related.text`` (the words compared), ``records`` (the records and the storage protocol),
``topics`` (the topic model), ``memory`` (the protocol in dicts, counting items like DynamoDB would bill
them), ``semantic`` (sentence embeddings). The DynamoDB implementation is ``newsdrop.related.store``.
Everything is re-exported here.

How it works, per new or changed article ``x`` (all work bounded by constants, never by corpus size):

1. Features: title + plain text -> light-stemmed unigrams without stop words, plus adjacent bigrams; title
   terms count ``TITLE_WEIGHT`` times. Each document stores its raw term frequencies (the ``MAX_TERMS``
   strongest terms), so it can be re-weighted whenever the IDF changes, with no extra reads.
2. Term statistics: a versioned *snapshot* of document frequencies (N and df per term). An article does
   not touch per-term counters: it writes one *delta* item (its distinct terms). When the pending deltas
   reach ``max(FOLD_MIN, N * FOLD_FRACTION)`` the article that notices folds them into a new snapshot
   (amortised O(1) per article; readers cache the snapshot by version).
3. Weights: ``sqrt(tf) * idf ** IDF_POWER`` (a flattened IDF: it is robust while the corpus is small
   and was better on every measure than full IDF), L2-normalised.
4. Candidates: the postings of the article's ``QUERY_TERMS`` strongest terms; a posting list holds the
   ``POSTINGS_CAP`` heaviest documents of a term (pruned on write; a full list the article does not
   enter is not rewritten). Postings pre-score candidates; the
   best ``CANDIDATES`` are fetched and scored exactly (cosine over the re-weighted stored vectors),
   with query expansion from the ``EXPAND_NEIGHBOURS`` nearest (pseudo-relevance feedback), a tag
   overlap bonus, a thread-title bonus (replies share "Re: <title>"), a topic bonus and a mild recency
   bonus.
   Topics: when a fold takes the corpus past ``TOPIC_FIRST_FIT`` articles, and again each time it has
   doubled, the folding article fits a small latent semantic model (a pure-Python randomized SVD of the
   last ``TOPIC_FIT_DOCS`` articles folded in; ``fit_topics``) and stores each term's ``TOPICS``
   coordinates in the snapshot; documents are projected on it when scored. Two articles about one
   subject in different words then score closer. The fit is part of the fold, so a reindex replaying
   the same articles fits the same model at the same point. The fit also re-scores the lists of the
   articles it read with the new model (``_refresh_lists``): a model fitted before a subject arrived
   misjudges that subject's first articles, and a list never re-scored would keep them.
5. Lists: ``x`` keeps its top ``LIST_SIZE`` above ``MIN_SCORE`` (no filler), and is offered to each
   candidate above the threshold: it enters a candidate's list if it beats its current last entry. A
   holders set per article makes removal exact: a removed article leaves every list that held it and
   those lists are refilled by a fresh candidate query.

Determinism: everything is a function of the stored state and the order of events; ``reindex_all``
replays the articles from an empty index in (published, slug) order through exactly the same code, so an
incremental run in that order and a reindex produce identical lists. Scores are rounded so that a store
round trip (DynamoDB numbers) cannot change a comparison.

Self-healing: the canonical lists are the reindex's. An event that the incremental path cannot apply
canonically (an article older than the newest indexed one, as a retried batch, a redriven dead letter
or a back-dated file gives; a change; a removal; a replay of an update that died half way) still
updates the lists at once, and marks the index *dirty*. A debounced ``rebuild`` then recomputes the
canonical index in memory and writes only the items that differ (pages never see an empty list), unless
an update ran meanwhile, in which case it asks to run again. Once quiet, every list equals a reindex.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from operator import mul
from typing import Protocol

from newsdrop.models import Article, RelatedEntry

# The engine's parts, re-exported (``X as X``): callers import them all from here.
from newsdrop.related.memory import InMemoryRelatedIndex as InMemoryRelatedIndex
from newsdrop.related.records import IDF_POWER as IDF_POWER
from newsdrop.related.records import SCORE_DIGITS as SCORE_DIGITS
from newsdrop.related.records import TF_K1 as TF_K1
from newsdrop.related.records import VECTOR_CACHE as VECTOR_CACHE
from newsdrop.related.records import Delta as Delta
from newsdrop.related.records import DocRecord as DocRecord
from newsdrop.related.records import RelatedIndex as RelatedIndex
from newsdrop.related.records import StatsHead as StatsHead
from newsdrop.related.records import TermStats as TermStats
from newsdrop.related.records import _round as _round
from newsdrop.related.records import saturate as saturate
from newsdrop.related.records import weigh as weigh
from newsdrop.related.text import BIGRAM_WEIGHT as BIGRAM_WEIGHT
from newsdrop.related.text import EXCERPT_CHARS as EXCERPT_CHARS
from newsdrop.related.text import FORUM_STOP as FORUM_STOP
from newsdrop.related.text import STOP_WORDS as STOP_WORDS
from newsdrop.related.text import TITLE_WEIGHT as TITLE_WEIGHT
from newsdrop.related.text import article_text as article_text
from newsdrop.related.text import excerpt_of as excerpt_of
from newsdrop.related.text import stem as stem
from newsdrop.related.text import term_frequencies as term_frequencies
from newsdrop.related.text import tokens as tokens
from newsdrop.related.topics import TOPIC_ITERATIONS as TOPIC_ITERATIONS
from newsdrop.related.topics import TOPIC_TERMS as TOPIC_TERMS
from newsdrop.related.topics import TOPICS as TOPICS
from newsdrop.related.topics import _project as _project
from newsdrop.related.topics import _unigram_vector as _unigram_vector
from newsdrop.related.topics import fit_topics as fit_topics

# --- tunables (measured with bench/related_quality.py) -------------------------------------------
LIST_SIZE = 5
MIN_SCORE = 0.05  # below this a pair is not "related": short list or none, never filler
MAX_TERMS = 250  # raw term frequencies kept per document (its strongest terms at indexing time)
QUERY_TERMS = 20  # strongest terms used to query postings, and under which a document is posted
POSTINGS_CAP = 100  # heaviest documents kept per term
CANDIDATES = 75  # candidates fetched and scored exactly (80: within 0.04 pt, and 5 reads more per article)
OFFER_MAX = 35  # at most this many candidates' lists read to offer the new article to (40: no better)
EXPAND_NEIGHBOURS = 10  # pseudo-relevance feedback: nearest candidates averaged into the query
EXPAND_BETA = 4.0  # the neighbours' mean against the document (4 beat 2 and 3 on both corpora)
EXPAND_MIX = 0.25  # weight of the expanded cosine in the ranking score
EXPAND_TERMS = 80  # terms kept in a document's stored expanded vector
EXPAND_TRUST = 0.15  # the expanded cosine counts in full only from this plain cosine up (0: always)
TAG_WEIGHT = 0.1  # bonus * cosine of the tag-key sets
# bonus * how far the titles' IDF-weighted cosine exceeds TITLE_MIN (a thread). 0.5, not 0.15: beside the
# embedding's cosine (up to 1) a thread's 0.15 no longer ranked its own posts first (docs/related.md)
TITLE_BONUS = 0.5
TITLE_MIN = 0.3  # title cosines up to this earn nothing (two headlines sharing a word are not a thread)
RECENCY_WEIGHT = 0.05  # bonus * exp(-|days apart| / RECENCY_DAYS): a tie-breaker, never a reason
RECENCY_DAYS = 60.0
FOLD_MIN = 1
FOLD_FRACTION = 0.125
FOLD_BATCH = 90  # deltas folded per commit (one DynamoDB transaction of <= 100 items with the snapshot)
# Topics (latent semantic analysis, fitted in pure Python when a fold crosses a size threshold, see
# ``fit_topics``): two articles about the same subject in different words score closer.
TOPIC_WEIGHT = 0.8  # bonus * cosine of the two articles' topic vectors (ranks only, like expansion)
TOPIC_FIRST_FIT = 100  # articles before the first fit (fewer cannot define subjects)
TOPIC_REFIT = 2.0  # refit when the corpus has grown this many times since the last fit
TOPIC_FIT_DOCS = 3000  # the most recently added articles the fit reads (bounds its time and reads)
# The semantic signal (newsdrop.related.semantic: all-MiniLM-L6-v2 vectors and their buckets).
SEMANTIC_WEIGHT = 1.0  # bonus * cosine of the two articles' sentence embeddings (0: no model at all)
# The embedding cosine from which a pair is related whatever words it shares: centred on the corpus's mean
# (``semantic.cosines``), where unrelated texts stay low even when they share forum chatter ("Re:", "thanks,
# anyone know?", tests/test_related.py). A lower gate fills the lists the words leave short (docs/related.md).
SEMANTIC_MIN = 0.1
# Before the corpus has a centre (``semantic.CENTRE_MIN`` articles) the cosine is the raw one, where that
# chatter reaches 0.47 between posts on different subjects: only close paraphrases pass.
SEMANTIC_MIN_RAW = 0.5
SEMANTIC_CANDIDATES = 20  # taken from the embedding buckets (40: +0.6 pt on 20NG-500, 18 more items)
# bonus * the cosine of the two articles' expanded embeddings (``semantic.expanded``: each vector plus the
# mean of its EXPAND_NEIGHBOURS nearest by meaning when it was indexed; ranks only, like expansion)
MEANING_EXPAND = 0.25


# --- features ----------------------------------------------------------------------------------------
def doc_from_article(
    article: Article, stats: TermStats, *, use_tags: bool = True, embed: bool = True
) -> DocRecord:
    """``embed=False``: without the sentence embedding, for a replay of the statistics alone
    (newsdrop.related.windows), which needs the kept frequencies and never scores with the vector."""
    text = article_text(article)
    tf = term_frequencies(article.title, text)
    weights = {t: saturate(c) * stats.idf(t) for t, c in tf.items()}
    strongest = heapq.nsmallest(MAX_TERMS, weights, key=lambda t: (-weights[t], t))
    kept = {t: _round(tf[t], 3) for t in sorted(strongest)}
    terms = sorted({t for t in tf if "_" not in t})
    tags = sorted(set(article.tag_keys)) if use_tags else []
    published = article.published.isoformat()
    excerpt = excerpt_of(article)
    fingerprint = hashlib.sha256(
        repr((article.title, excerpt, published, tags, sorted(tf.items()))).encode()
    ).hexdigest()[:16]
    emb = _semantic().article_vector(article.title, text, fingerprint) if SEMANTIC_WEIGHT and embed else ""
    return DocRecord(article.slug, article.title, excerpt, published, tags, kept, terms, fingerprint, emb=emb)


def _semantic():
    """Imported on first use: numpy and the model load only where the semantic signal is on."""
    from newsdrop.related import semantic

    return semantic


def _dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[t] for t, v in a.items() if t in b)


def _top_terms(vec: Mapping[str, float], n: int) -> list[str]:
    return heapq.nsmallest(n, vec, key=lambda t: (-vec[t], t))


def _days_apart(a: str, b: str) -> float:
    try:
        return abs((datetime.fromisoformat(a) - datetime.fromisoformat(b)).total_seconds()) / 86400.0
    except (TypeError, ValueError):
        return math.inf


_TITLE_TERMS: dict[str, frozenset[str]] = {}


def title_terms(title: str) -> frozenset[str]:
    terms = _TITLE_TERMS.get(title)
    if terms is None:
        if len(_TITLE_TERMS) >= VECTOR_CACHE:
            _TITLE_TERMS.clear()
        terms = _TITLE_TERMS[title] = frozenset(tokens(title))
    return terms


def title_cosine(a: str, b: str, stats: TermStats) -> float:
    """The IDF-weighted cosine of two titles' terms (0 when they share none)."""
    ta, tb = title_terms(a), title_terms(b)
    shared = ta & tb
    if not shared:
        return 0.0
    w = {t: stats.idf(t) ** 2 for t in ta | tb}
    den = math.sqrt(sum(w[t] for t in ta) * sum(w[t] for t in tb)) or 1.0
    return sum(w[t] for t in shared) / den


def _title_bonus(x: DocRecord, y: DocRecord, stats: TermStats) -> float:
    """Replies share their thread's title ("Re: Dayton Hamfest"); two headlines that merely share a
    word do not (the cosine must clear ``TITLE_MIN``). Ranks only: the text must pass the gate."""
    if not TITLE_BONUS:
        return 0.0
    cos = title_cosine(x.title, y.title, stats)
    if cos <= TITLE_MIN:
        return 0.0
    return TITLE_BONUS * (cos - TITLE_MIN) / (1.0 - TITLE_MIN)


def _topic_bonus(x: DocRecord, y: DocRecord, stats: TermStats) -> float:
    """Two articles about one subject in different words (see ``fit_topics``). Ranks only."""
    if not TOPIC_WEIGHT:
        return 0.0
    tx, ty = stats.topic_vector(x), stats.topic_vector(y)
    if not (tx and ty):
        return 0.0
    return TOPIC_WEIGHT * sum(map(mul, tx, ty))


def _tag_bonus(x: DocRecord, y: DocRecord) -> float:
    if not (TAG_WEIGHT and x.tags and y.tags):
        return 0.0
    return TAG_WEIGHT * len(set(x.tags) & set(y.tags)) / math.sqrt(len(x.tags) * len(y.tags))


def _recency_bonus(x: DocRecord, y: DocRecord) -> float:
    if not RECENCY_WEIGHT:
        return 0.0
    return RECENCY_WEIGHT * math.exp(-_days_apart(x.published, y.published) / RECENCY_DAYS)


def _entry(doc: DocRecord, score: float) -> RelatedEntry:
    return RelatedEntry(slug=doc.slug, title=doc.title, excerpt=doc.excerpt, score=score)


def _rank(entries: Iterable[RelatedEntry]) -> list[RelatedEntry]:
    return sorted(entries, key=lambda e: (-e.score, e.slug))[:LIST_SIZE]


# --- the algorithm -----------------------------------------------------------------------------------
def current_stats(index: RelatedIndex) -> TermStats:
    return index.get_stats(index.get_stats_head().version)


def _folded_stats(index: RelatedIndex) -> tuple[TermStats, set[str]]:
    """The current statistics, after folding the pending deltas into a new snapshot if they are due.

    Also returns the slugs whose lists a refit refreshed (see ``_refresh_lists``; empty without one)."""
    head = index.get_stats_head()
    stats = index.get_stats(head.version)
    if head.pending < min(FOLD_BATCH, max(FOLD_MIN, math.ceil(stats.n_docs * FOLD_FRACTION))):
        return stats, set()
    deltas = index.list_deltas(FOLD_BATCH)
    if not deltas:
        return stats, set()
    df = dict(stats.df)
    n_docs = stats.n_docs
    for delta in deltas:
        n_docs += delta.sign
        for term in delta.terms:
            df[term] = df.get(term, 0) + delta.sign
    df = {t: c for t, c in df.items() if c > 0}
    centre_sum, centre_n = stats.centre_sum, stats.centre_n
    if any(d.emb for d in deltas):
        centre_sum, centre_n = _semantic().fold_centre(centre_sum, centre_n, deltas)
    added = sorted({_delta_slug(d) for d in deltas if d.sign > 0})
    gone = {_delta_slug(d) for d in deltas if d.sign < 0} | set(added)
    recent = [s for s in stats.recent if s not in gone] + added
    new = TermStats(
        version=stats.version + 1,
        n_docs=max(0, n_docs),
        df=dict(sorted(df.items())),
        topics=stats.topics,
        topics_fit=stats.topics_fit,
        topics_id=stats.topics_id,
        recent=recent[-TOPIC_FIT_DOCS:],
        centre_sum=centre_sum,
        centre_n=centre_n,
    )
    refreshed: set[str] = set()
    if TOPIC_WEIGHT and new.n_docs >= max(TOPIC_FIRST_FIT, TOPIC_REFIT * stats.topics_fit):
        docs = index.get_docs(new.recent)
        coords = fit_topics([_unigram_vector(docs[s].tf, new) for s in new.recent if s in docs])
        new.topics = {t: [round(x * new.full_idf(t) * 1e5) for x in c] for t, c in coords.items()}
        new.topics_fit = new.n_docs
        new.topics_id = hashlib.sha256(repr(sorted(new.topics.items())).encode()).hexdigest()[:16]
        # Before the commit: an update that dies in between folds, fits and refreshes again on its retry.
        refreshed = _refresh_lists(index, new, docs)
    if index.commit_stats(new, [d.key for d in deltas], stats.version):
        return new, refreshed
    return current_stats(index), refreshed


def _refresh_lists(index: RelatedIndex, stats: TermStats, docs: Mapping[str, DocRecord]) -> set[str]:
    """Recompute, with the model just fitted, the lists of the articles it was fitted on.

    A list keeps the scores its entries had when they came in. A model fitted before a subject arrived
    (a section imported in one block) puts that subject's first articles close to an older one's, and
    they enter its lists through the offers; with the entries' scores frozen, a later, better model could
    not take them out. So each fit re-scores the lists of the articles it read, against candidates drawn
    from those same articles (their documents are in hand: postings built in memory, no extra reads)
    plus each list's current entries. Returns the slugs whose lists changed."""
    if not (stats.topics and docs):
        return set()
    vectors = {slug: stats.vector(doc) for slug, doc in docs.items()}
    postings: dict[str, list[tuple[str, float]]] = {}
    for slug, vec in vectors.items():
        for term in _top_terms(vec, QUERY_TERMS):
            postings.setdefault(term, []).append((slug, vec[term]))
    postings = {term: _heaviest(plist) for term, plist in postings.items()}
    current = index.get_lists(sorted(docs))
    older = sorted({e.slug for entries in current.values() for e in entries} - set(docs))
    known = {**docs, **(index.get_docs(older) if older else {})}
    lists: dict[str, list[RelatedEntry]] = {}
    added: dict[str, set[str]] = {}
    removed: dict[str, set[str]] = {}
    for slug in sorted(docs):
        vec = vectors[slug]
        old = current.get(slug, [])
        best = _best_candidates(vec, _top_terms(vec, QUERY_TERMS), postings, slug)
        candidates = {s: known[s] for s in [*best, *(e.slug for e in old)] if s in known}
        # a copy: scoring sets ``ex`` on a document that has none, which must not change the stored one
        doc = replace(docs[slug], ex=docs[slug].ex or dict(vec))
        scores = _score_candidates(doc, vec, candidates, stats)
        new = _rank(_entry(candidates[s], sc) for s, sc in scores.items())
        if new != old:
            lists[slug] = new
            _note_holders(slug, old, new, added, removed)
    # Holders gain before the lists change and lose after: an update that dies in between leaves holders
    # that are a superset (harmless: a removal filters each list it visits), and its retry redoes the rest.
    index.change_holders(added, {})
    index.put_lists(lists)
    index.change_holders({}, removed)
    return set(lists)


def _delta_slug(delta: Delta) -> str:
    return delta.key.split("#", 1)[0]


def _candidates(
    index: RelatedIndex, query: Mapping[str, float], exclude: str, stats: TermStats, emb: str = ""
) -> tuple[dict[str, DocRecord], dict[str, list[tuple[str, float]]]]:
    terms = _top_terms(query, QUERY_TERMS)
    buckets = _semantic().probes(emb) if emb else []
    postings = index.get_postings([*terms, *buckets])
    best = _best_candidates(query, terms, postings, exclude)
    if buckets:
        best += _semantic().bucket_neighbours(postings, buckets, emb, exclude, set(best), SEMANTIC_CANDIDATES)
    docs = index.get_docs(best) if best else {}
    return docs, postings


def _best_candidates(
    query: Mapping[str, float],
    terms: Sequence[str],
    postings: Mapping[str, list[tuple[str, float]]],
    exclude: str,
) -> list[str]:
    """The ``CANDIDATES`` documents the postings of the query's terms pre-score highest."""
    partial: dict[str, float] = {}
    for term in terms:
        qw = query[term]
        for slug, w in postings.get(term, ()):
            if slug != exclude:
                partial[slug] = partial.get(slug, 0.0) + qw * w
    return heapq.nsmallest(CANDIDATES, partial, key=lambda s: (-partial[s], s))


def _expanded(vx: Mapping[str, float], near: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The document's vector plus ``EXPAND_BETA`` times the mean of its nearest neighbours' vectors,
    cut to its ``EXPAND_TERMS`` heaviest terms and L2-normalised (stored with the document, so the
    expanded similarity of a pair is the same whichever of the two computes it)."""
    ex = dict(vx)
    for vec in near:
        for t, w in vec.items():
            ex[t] = ex.get(t, 0.0) + EXPAND_BETA * w / len(near)
    kept = _top_terms(ex, EXPAND_TERMS)
    norm = math.sqrt(sum(ex[t] * ex[t] for t in kept)) or 1.0
    return {t: _round(ex[t] / norm, 4) for t in sorted(kept)}


def _score_candidates(
    x: DocRecord, vx: Mapping[str, float], docs: Mapping[str, DocRecord], stats: TermStats
) -> dict[str, float]:
    """Scores of the candidates that pass the relevance gate (text cosine + tag bonus >= MIN_SCORE, or
    embedding cosine >= SEMANTIC_MIN).

    The score ranks by a blend of the plain cosine and the cosine of the two stored expanded vectors
    (each document's vector expanded by its nearest relevant neighbours, pseudo-relevance feedback),
    plus the tag and recency bonuses. Expansion and recency only reorder: they never let an unrelated
    article through the gate. Sets ``x.ex`` when it is empty (a new or changed article)."""
    vecs = {slug: stats.vector(doc) for slug, doc in docs.items()}
    base = {slug: _dot(vx, v) for slug, v in vecs.items()}
    tags = {slug: _tag_bonus(x, docs[slug]) for slug in docs}
    titles = {slug: _title_bonus(x, docs[slug], stats) for slug in docs}
    meaning = _semantic().cosines(x.emb, {s: d.emb for s, d in docs.items()}, stats) if x.emb else {}
    # a pair that says one thing in other words passes the gate on its meaning alone
    gate = SEMANTIC_MIN if _semantic().centred(stats) else SEMANTIC_MIN_RAW
    gated = [s for s in docs if base[s] + tags[s] >= MIN_SCORE or meaning.get(s, 0.0) >= gate]
    if not x.ex:
        near = heapq.nsmallest(EXPAND_NEIGHBOURS, gated, key=lambda s: (-base[s], s))
        x.ex = _expanded(vx, [vecs[s] for s in near]) if near else {}
    if MEANING_EXPAND and x.emb and not x.exemb:
        near = heapq.nsmallest(EXPAND_NEIGHBOURS, gated, key=lambda s: (-meaning.get(s, 0.0), s))
        x.exemb = _semantic().expanded(x.emb, [docs[s].emb for s in near if docs[s].emb], stats)
    spread = _semantic().expanded_cosines(x.exemb, {s: docs[s].exemb for s in gated}) if x.exemb else {}
    for slug in gated:
        titles[slug] += _topic_bonus(x, docs[slug], stats) + SEMANTIC_WEIGHT * meaning.get(slug, 0.0)
        titles[slug] += MEANING_EXPAND * spread.get(slug, 0.0)
    ex_x = x.ex or vx
    return {
        slug: pair_score(
            x, docs[slug], base[slug], _dot(ex_x, docs[slug].ex or vecs[slug]), tags[slug] + titles[slug]
        )
        for slug in gated
    }


def pair_score(x: DocRecord, y: DocRecord, plain: float, expanded: float, tag_bonus: float) -> float:
    """The ranking score of a pair that passed the gate: the plain cosine blended with the cosine of the
    two expanded vectors, plus the bonuses (``tag_bonus``: shared tags and a shared thread title, see
    ``_title_bonus``) and recency. The expanded cosine counts in full only for a
    pair whose plain cosine reaches ``EXPAND_TRUST``: two documents that share little text but whose
    neighbourhoods look alike ("Dayton Hamfest" and "The Dayton Gun 'Buy Back'") are not related."""
    trust = min(1.0, plain / EXPAND_TRUST) if EXPAND_TRUST > 0 else 1.0
    return _round((1 - EXPAND_MIX) * plain + EXPAND_MIX * expanded * trust + tag_bonus + _recency_bonus(x, y))


def _post(
    index: RelatedIndex,
    doc: DocRecord,
    vec: Mapping[str, float],
    postings: dict[str, list[tuple[str, float]]],
) -> None:
    buckets = _semantic().buckets(doc.emb) if doc.emb else {}
    weights = {**vec, **buckets}
    terms = _top_terms(vec, QUERY_TERMS) + sorted(weights.keys() - vec.keys())
    missing = [t for t in terms if t not in postings]
    if missing:
        postings.update(index.get_postings(missing))
    extra = (_semantic().signature(doc.emb),) if buckets else ()
    changed = {}
    for term in terms:
        current = postings.get(term, [])
        plist = [p for p in current if p[0] != doc.slug]
        plist.append((doc.slug, _round(weights[term]), *(extra if term in buckets else ())))
        capped = _heaviest(plist, term)
        if capped != current:  # a full list the article does not enter stays as it is: no write
            changed[term] = capped
    index.put_postings(changed)
    doc.posted = sorted(terms)


def _heaviest(plist: Iterable[tuple], term: str = "") -> list[tuple]:
    """A postings list as stored: the ``POSTINGS_CAP`` heaviest documents, heaviest first (ties by slug).
    An entry is (slug, weight), and a bucket's (slug, weight, signature), of which a bucket keeps
    ``semantic.BUCKET_CAP``."""
    cap = _semantic().BUCKET_CAP if term.startswith("~") else POSTINGS_CAP
    return sorted(plist, key=lambda p: (-p[1], p[0]))[:cap]


def _unpost(index: RelatedIndex, doc: DocRecord) -> None:
    postings = index.get_postings(doc.posted)
    changed = {t: [p for p in plist if p[0] != doc.slug] for t, plist in postings.items()}
    index.put_postings({t: plist for t, plist in changed.items() if len(plist) != len(postings[t])})


def _purge(index: RelatedIndex, old: DocRecord) -> tuple[set[str], list[RelatedEntry]]:
    """Take ``old`` out of the postings, the DF and every list holding it, and drop its own list.

    Returns the holders (whose lists lost an entry) and the own list it had."""
    _unpost(index, old)
    holders = index.get_holders(old.slug)
    lists = index.get_lists([*sorted(holders), old.slug])
    own = lists.pop(old.slug, [])
    changed = {s: [e for e in entries if e.slug != old.slug] for s, entries in lists.items()}
    index.put_lists({**changed, old.slug: []})
    removed = {e.slug: {old.slug} for e in own}
    removed.setdefault(old.slug, set()).update(holders)
    index.change_holders({}, removed)
    index.put_delta(Delta(key=f"{old.slug}#{old.fingerprint}#del", sign=-1, terms=old.terms, emb=old.emb))
    return set(changed), own


def _refill(
    index: RelatedIndex, slugs: Iterable[str], stats: TermStats, fresh: DocRecord | None = None
) -> set[str]:
    """Recompute the lists of ``slugs`` from a fresh candidate query (after something left them).

    ``fresh``: the document being updated, already posted but not yet stored (its stored record is the
    old one, which must not come back as a candidate)."""
    changed: set[str] = set()
    docs = index.get_docs(sorted(slugs))
    for slug in sorted(docs):
        doc = docs[slug]
        vec = stats.vector(doc)
        cands, _ = _candidates(index, vec, slug, stats, doc.emb)
        if fresh is not None and fresh.slug in cands:
            cands[fresh.slug] = fresh
        scores = _score_candidates(doc, vec, cands, stats)
        new = _rank(_entry(cands[s], sc) for s, sc in scores.items())
        old = index.get_lists([slug]).get(slug, [])
        if new != old:
            index.put_lists({slug: new})
            added: dict[str, set[str]] = {}
            removed: dict[str, set[str]] = {}
            _note_holders(slug, old, new, added, removed)
            index.change_holders(added, removed)
            changed.add(slug)
    return changed


def _note_holders(
    owner: str,
    old: Sequence[RelatedEntry],
    new: Sequence[RelatedEntry],
    added: dict[str, set[str]],
    removed: dict[str, set[str]],
) -> None:
    """Record, per article, that ``owner``'s list now holds it or no longer does."""
    for other in {e.slug for e in new} - {e.slug for e in old}:
        added.setdefault(other, set()).add(owner)
    for other in {e.slug for e in old} - {e.slug for e in new}:
        removed.setdefault(other, set()).add(owner)


def update_for_article(index: RelatedIndex, article: Article, *, use_tags: bool = True) -> set[str]:
    """Index a new or changed article: its own list, and its place in its candidates' lists.

    Returns the slugs whose lists changed (the article's own included when it changed, and the lists a
    refit refreshed). Replaying the same article is a no-op (the stored fingerprint matches)."""
    # Fold first: a fold then depends only on the deltas already written, never on whether the previous
    # update lived to its end, so a crash after its last write cannot shift the statistics.
    stats, refreshed = _folded_stats(index)
    doc = doc_from_article(article, stats, use_tags=use_tags)
    old = index.get_docs([article.slug]).get(article.slug)
    if old is not None and old.fingerprint == doc.fingerprint:
        return refreshed
    if not index.begin_update(order_key(doc.published, doc.slug)) or old is not None:
        index.mark_dirty()  # applied now, made canonical by the next rebuild
    changed = set(refreshed)
    emptied: set[str] = set()
    old_own: list[RelatedEntry] = []
    if old is not None:
        emptied, old_own = _purge(index, old)
        changed |= emptied
    index.put_delta(Delta(key=f"{doc.slug}#{doc.fingerprint}", sign=1, terms=doc.terms, emb=doc.emb))

    vx = weigh(doc.tf, stats)
    cands, postings = _candidates(index, vx, doc.slug, stats, doc.emb)
    scores = _score_candidates(doc, vx, cands, stats)
    related = scores  # only candidates past the relevance gate

    own = _rank(_entry(cands[s], sc) for s, sc in related.items())
    if own != old_own:
        changed.add(doc.slug)
    lists_out: dict[str, list[RelatedEntry]] = {doc.slug: own}
    added: dict[str, set[str]] = {e.slug: {doc.slug} for e in own}
    removed: dict[str, set[str]] = {}

    # reverse step: offer the article to the candidates it scores well with
    offers = heapq.nsmallest(OFFER_MAX, related, key=lambda s: (-related[s], s))
    current = index.get_lists(offers) if offers else {}
    me = _entry(doc, 0.0)
    for slug in offers:
        entries = [e for e in current.get(slug, []) if e.slug != doc.slug]
        score = related[slug]
        if len(entries) >= LIST_SIZE:
            last = entries[LIST_SIZE - 1]
            if (-score, doc.slug) >= (-last.score, last.slug):
                continue
        new = _rank([*entries, replace(me, score=score)])
        if new != current.get(slug, []):
            lists_out[slug] = new
            changed.add(slug)
            added.setdefault(doc.slug, set()).add(slug)
            for evicted in {e.slug for e in entries} - {e.slug for e in new}:
                removed.setdefault(evicted, set()).add(slug)
    _post(index, doc, vx, postings)
    index.put_lists(lists_out)
    index.change_holders(added, removed)
    refill = {s for s in emptied if s not in lists_out and s != doc.slug}
    if refill:
        changed |= _refill(index, refill, stats, doc)
    index.put_doc(doc)  # last: a crash before this replays the whole update
    return changed


def remove_article(index: RelatedIndex, slug: str) -> set[str]:
    """A deleted/unpublished article leaves the index and every list; those lists are refilled."""
    stats, refreshed = _folded_stats(index)
    old = index.get_docs([slug]).get(slug)
    if old is None:
        return refreshed
    index.begin_update(order_key(old.published, slug))
    index.mark_dirty()
    emptied, _ = _purge(index, old)
    index.delete_doc(slug)
    _refill(index, emptied, stats)
    return emptied | {slug} | refreshed


def reindex_all(
    index: RelatedIndex,
    articles: Iterable[Article],
    progress: Callable[[int, str], None] | None = None,
    *,
    use_tags: bool = True,
) -> int:
    """Rebuild everything from scratch: clear, then replay the articles in (published, slug) order
    through the incremental path. Same events in the same order -> the same lists as incremental."""
    index.clear()
    ordered = sorted(articles, key=lambda a: order_key(a.published.isoformat(), a.slug))
    for i, article in enumerate(ordered, 1):
        update_for_article(index, article, use_tags=use_tags)
        if progress:
            progress(i, article.slug)
    return len(ordered)


def order_key(published: str, slug: str) -> str:
    """The canonical order of articles as one comparable string: UTC publication time, then slug."""
    try:
        when = datetime.fromisoformat(published)
    except ValueError:
        return f"~|{slug}"  # unparseable dates sort last, consistently
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"{when.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}|{slug}"


class RebuildTarget(Protocol):
    """Where a rebuild writes: the live index, replaced item by item from a canonical in-memory one."""

    def rebuild_state(self) -> tuple[int, bool]: ...  # (generation, dirty)
    def replace_with(self, canonical: InMemoryRelatedIndex) -> int: ...  # items written or deleted
    def finish_rebuild(self, generation: int, newest: str) -> bool: ...  # False: updates ran meanwhile
    def get_docs(self, slugs: Iterable[str]) -> dict[str, DocRecord]: ...  # the live documents


@dataclass
class RebuildOutcome:
    ran: bool
    articles: int = 0
    items_changed: int = 0
    settled: bool = True  # False: an update ran during the rebuild; run it again


def rebuild(
    target: RebuildTarget,
    read_articles: Callable[[], Iterable[Article]],
    *,
    force: bool = False,
    progress: Callable[[int, str], None] | None = None,
) -> RebuildOutcome:
    """Make the live index canonical: a reindex in memory, then only the differing items written (the
    page keeps its list throughout). Without ``force``, only when the index is dirty.

    The generation is read before the articles, so an update that lands after this read (and may have
    been overwritten by the replacement) is seen by ``finish_rebuild``, which then leaves the index dirty
    for another run instead of declaring it clean."""
    generation, dirty = target.rebuild_state()
    if not (dirty or force):
        return RebuildOutcome(ran=False)
    canonical = InMemoryRelatedIndex()
    articles = list(read_articles())
    if SEMANTIC_WEIGHT:  # the live documents' vectors: a rebuild embeds only the articles that changed
        _semantic().remember(target.get_docs([a.slug for a in articles]).values())
    count = reindex_all(canonical, articles, progress)
    changed = target.replace_with(canonical)
    settled = target.finish_rebuild(generation, canonical.newest)
    return RebuildOutcome(ran=True, articles=count, items_changed=changed, settled=settled)


def related_for(index: RelatedIndex, slug: str) -> list[RelatedEntry]:
    return index.get_lists([slug]).get(slug, [])
