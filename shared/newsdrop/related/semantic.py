"""The semantic signal of related posts: an article's sentence embedding, stored compactly, and the
buckets that find its semantic neighbours at a cost that does not grow with the corpus.

The vector is all-MiniLM-L6-v2's (``embedding.MiniLM``) of the title and plain text.
"""

from __future__ import annotations

import base64
import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import numpy as np

from newsdrop.related.embedding import MAX_TOKENS, MiniLM, default_model

if TYPE_CHECKING:
    from newsdrop.related.engine import DocRecord

# What turns an article's text into its vector. The model by default; bench/related_quality.py swaps in
# its cache of the same model's vectors, so a tuning run never computes one twice.
VectorSource = Callable[[str], np.ndarray]
vector_source: VectorSource | None = None


def embedding_text(title: str, text: str) -> str:
    return f"{title}\n{text}"


@lru_cache(maxsize=4096)  # a replayed or re-scored article (and the tests' recurring corpora) embed once
def model_vector(text: str) -> np.ndarray:
    """The first MAX_TOKENS tokens' vector (measured against the mean of all windows: see docs/related.md)."""
    model = default_model()
    return model.embed_ids([model.token_ids(text)])[0]


# Packed vectors by document fingerprint (the same title, text and tags give the same fingerprint): a
# rebuild replays thousands of articles whose vectors the live index already holds.
_known: dict[str, str] = {}
KNOWN_MAX = 50_000  # about 30 MB


def remember(docs: Iterable[DocRecord]) -> None:
    if len(_known) > KNOWN_MAX:
        _known.clear()
    _known.update((d.fingerprint, d.emb) for d in docs if d.emb)


def article_vector(title: str, text: str, fingerprint: str = "") -> str:
    """The packed vector of an article (``DocRecord.emb``)."""
    if fingerprint in _known:
        return _known[fingerprint]
    return pack((vector_source or model_vector)(embedding_text(title, text)))


def embed_token_ids(model: MiniLM, sequences: Sequence[Sequence[int]], *, chunks: bool = False) -> np.ndarray:
    """Vectors of untruncated token id lists ([CLS] ... [SEP]): the first ``MAX_TOKENS`` window, or with
    ``chunks`` the normalised mean of the vectors of every window (each re-wrapped in [CLS] ... [SEP])."""
    inner = MAX_TOKENS - 2
    windows: list[list[int]] = []
    owner: list[int] = []
    for row, ids in enumerate(sequences):
        cls, body, sep = ids[0], list(ids[1:-1]), ids[-1]
        spans = range(0, max(len(body), 1), inner) if chunks else [0]
        for start in spans:
            windows.append([cls, *body[start : start + inner], sep])
            owner.append(row)
    vectors = model.embed_ids(windows)
    out = np.zeros((len(sequences), vectors.shape[1]), dtype=np.float32)
    np.add.at(out, np.asarray(owner), vectors)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


# --- compact storage --------------------------------------------------------------------------------------
def pack(vector: np.ndarray) -> str:
    """int8, scaled so the largest component is 127: 384 bytes, base64 512 characters (float32 would be
    1,536 bytes). Only directions matter (``unpack`` re-normalises), so no scale is stored.
    bench/related_quality.py prints the cosine error this costs."""
    vector = np.asarray(vector, dtype=np.float32)
    peak = float(np.abs(vector).max()) or 1.0
    q = np.clip(np.rint(vector * np.float32(127.0 / peak)), -127, 127).astype(np.int8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def unpack(packed: str) -> np.ndarray:
    """The unit vector a packed string stands for (re-normalised: a pair's cosine is then exactly the
    same whichever side reads it, and 1 with itself)."""
    raw = base64.b64decode(packed)
    v = np.frombuffer(raw, dtype=np.int8).astype(np.float32)
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


# --- the neighbour index: random-hyperplane buckets -------------------------------------------------------
# An article is filed, in each of BUCKET_TABLES tables, under the bucket its vector's signs against
# BUCKET_BITS fixed random hyperplanes give; its semantic neighbours are the articles sharing its buckets.
# No fitting: the hyperplanes come from a fixed seed, so a reindex files every article where it was, and
# the cost per article is 2 x BUCKET_TABLES buckets read (``probes``) and BUCKET_TABLES written, whatever
# the corpus size. Buckets are stored as postings of pseudo-terms ("~<table>:<bits>", no real term starts
# with "~"), whose entries also carry a signature (below), capped like a postings list but by a cap of their
# own: a bucket keeps the BUCKET_CAP articles farthest from its walls.
# Vectors folded before the mean is taken out: the mean of a handful of articles is mostly theirs (two
# articles centred on their own mean point in opposite directions, and three subjects centred on their mean
# look alike to a fourth: tests/test_related.py's forum chatter). Below it, ``cosines`` is the raw cosine.
CENTRE_MIN = 10
BUCKET_TABLES = 4
BUCKET_BITS = 5  # 32 buckets per table; 6 and 7 bits found fewer true neighbours (docs/related.md)
# 300 found 0.576 of the 5 nearest on 20NG's 11,232 posts against 0.341 (bench/semantic_index.py) but moved
# P@5 by 0.2 pt, for three times the write units of each bucket write (docs/related.md, "The whole corpora")
BUCKET_CAP = 100
_SEED = 20260101


@cache
def _hyperplanes(tables: int, bits: int, dims: int) -> np.ndarray:
    return np.random.default_rng(_SEED).standard_normal((tables, bits, dims)).astype(np.float32)


def _projections(packed: str) -> np.ndarray:
    v = unpack(packed)
    return _hyperplanes(BUCKET_TABLES, BUCKET_BITS, v.shape[0]) @ v  # (tables, bits)


def _key(table: int, signs: Sequence[bool]) -> str:
    return f"~{table}:" + "".join("1" if s else "0" for s in signs)


def buckets(packed: str) -> dict[str, float]:
    """The article's bucket per table, each with its weight: its smallest distance to a wall."""
    if not packed:
        return {}
    return {
        _key(t, row > 0): round(float(np.abs(row).min()), 4) for t, row in enumerate(_projections(packed))
    }


def probes(packed: str) -> list[str]:
    """The buckets a query reads: per table its own and the one across its nearest wall (the sign it is
    least sure of flipped). Measured on 1,017 BBC and 20 Newsgroups vectors: 58% of every article's 5
    nearest neighbours share one of these 8 buckets, against 38% for its own 4 alone."""
    if not packed:
        return []
    out = []
    for t, row in enumerate(_projections(packed)):
        signs = row > 0
        flipped = signs.copy()
        weakest = int(np.argmin(np.abs(row)))
        flipped[weakest] = not flipped[weakest]
        out += [_key(t, signs), _key(t, flipped)]
    return sorted(out)


# Which articles of the probed buckets become candidates: up to 800 of them share a bucket with the query,
# and the engine reads the documents of SEMANTIC_CANDIDATES only. Ranked by how many buckets they share
# (1 to 4), the 5 nearest were among the 20 read in 18% of queries on 20NG-500; so each bucket entry
# carries the article's SIGNATURE_BITS-bit signature (the signs of its vector against as many fixed random
# hyperplanes: the share of equal bits estimates the angle between two vectors), and the pool is ranked by
# it (docs/related.md, "Stored compactly, and found at a flat cost"). 256 bits gave the same lists as exact cosines on 20NG-500;
# 64 bits lost a point. 64 hex characters an entry: a full bucket item is about 10 KB.
SIGNATURE_BITS = 256


@cache
def _signature_planes(bits: int, dims: int) -> np.ndarray:
    return np.random.default_rng(_SEED + 1).standard_normal((bits, dims)).astype(np.float32)


def signature(packed: str) -> str:
    """The article's signature as stored in its bucket entries (hex)."""
    v = unpack(packed)
    signs = (_signature_planes(SIGNATURE_BITS, v.shape[0]) @ v) > 0
    return np.packbits(signs).tobytes().hex()


def bucket_neighbours(
    postings: Mapping[str, Sequence[tuple]],
    bucket_terms: Sequence[str],
    packed: str,
    exclude: str,
    taken: set[str],
    limit: int,
) -> list[str]:
    """Up to ``limit`` articles of the probed buckets whose signatures are closest to the query's,
    beyond those already ``taken``. An entry without a signature (filed by a version before signatures,
    until a reindex files it again) ranks after every signed one."""
    query = int(signature(packed), 16)
    far = SIGNATURE_BITS + 1
    distance: dict[str, int] = {}
    for term in bucket_terms:
        for entry in postings.get(term, ()):
            slug = entry[0]
            if slug != exclude and slug not in taken and slug not in distance:
                distance[slug] = (int(entry[2], 16) ^ query).bit_count() if len(entry) > 2 else far
    return heapq.nsmallest(limit, distance, key=lambda s: (distance[s], s))


# --- the centred cosine -----------------------------------------------------------------------------------
# Every MiniLM vector shares a common direction (the model's, and the corpus's: forum posts all say "Re:",
# "thanks", "anyone know"), which lifts the raw cosine of unrelated texts to 0.4-0.5. Taking the corpus's
# mean vector out of both sides leaves what tells two articles apart (docs/related.md, "A centred cosine",
# and bench/embedding_chunks.py's raw and centred columns). The mean is the statistics snapshot's: the sum of the folded articles' vectors (each
# delta carries its article's), so a reindex replaying the same articles centres on the same mean.
def fold_centre(total: Sequence[float], count: int, deltas: Iterable) -> tuple[list[float], int]:
    """The centre's sum and count after the deltas (``records.Delta``: +1 added, -1 removed), rounded so
    that a store round trip changes nothing."""
    acc = np.asarray(total, dtype=np.float64) if count else np.zeros(0)
    for delta in deltas:
        if delta.emb:
            v = unpack(delta.emb).astype(np.float64)
            acc = acc + delta.sign * v if acc.size else delta.sign * v
            count += delta.sign
    if count <= 0 or not acc.size:
        return [], 0
    return [round(float(a), 6) for a in acc], count


_centres: dict[tuple[int, int, float], np.ndarray] = {}


def _centre(stats) -> np.ndarray | None:
    if stats is None or stats.centre_n < CENTRE_MIN:
        return None
    key = (stats.version, stats.centre_n, stats.centre_sum[0])
    c = _centres.get(key)
    if c is None:
        if len(_centres) > 8:
            _centres.clear()
        c = _centres[key] = np.asarray(stats.centre_sum, dtype=np.float32) / np.float32(stats.centre_n)
    return c


def centred(stats) -> bool:
    """Whether ``cosines`` centres on this snapshot (it has folded ``CENTRE_MIN`` vectors)."""
    return _centre(stats) is not None


def cosines(packed: str, others: Mapping[str, str], stats=None) -> dict[str, float]:
    """The centred cosine (above) of one packed vector with each of ``others`` (absent: 0), rounded like
    every score. Both sides are centred on the same snapshot's mean, so it is symmetric."""
    if not packed:
        return {}
    x = _centred(packed, stats)
    return {slug: round(float(_centred(p, stats) @ x), 6) for slug, p in others.items() if p}


def _centred(packed: str, stats) -> np.ndarray:
    v = unpack(packed)
    centre = _centre(stats)
    if centre is None:
        return v
    v = v - centre
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


# --- pseudo-relevance feedback in the embedding's space ---------------------------------------------------
# The words' query expansion (``engine._expanded``) has a counterpart here: an article's centred vector plus
# the mean of its nearest neighbours' (by the centred cosine, among the candidates that passed the gate),
# stored with the document (``DocRecord.exemb``) when it is indexed. Two articles whose neighbourhoods mean
# the same thing score closer even when their own first 256 tokens drift (quoted text, a long signature).
def expanded(packed: str, neighbours: Sequence[str], stats) -> str:
    """The packed expanded vector: normalise(centred x + mean of the neighbours' centred vectors); without
    neighbours, the centred vector itself. Centred on the snapshot of the article's indexing, and kept."""
    v = _centred(packed, stats).astype(np.float64)
    if neighbours:
        v = v + np.mean([_centred(p, stats) for p in neighbours], axis=0)
    return pack(v)


def expanded_cosines(packed: str, others: Mapping[str, str]) -> dict[str, float]:
    """The cosine of two stored expanded vectors (each already centred: no centre here), rounded; a
    document indexed before they existed has none and counts 0 until a reindex."""
    if not packed:
        return {}
    x = unpack(packed)
    return {slug: round(float(unpack(p) @ x), 6) for slug, p in others.items() if p}
