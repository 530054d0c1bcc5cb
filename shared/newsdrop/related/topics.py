"""Topics for related posts: latent semantic analysis in pure Python (the related function carries no
numpy for it). ``fit_topics`` is called by the statistics fold (``engine._folded_stats``); a document is
projected on the fitted model by ``records.TermStats.topic_vector``."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from operator import mul
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsdrop.related.records import TermStats

TOPICS = 15  # dimensions of the topic space
TOPIC_TERMS = 8000  # terms kept in the model: the most frequent in the fitted articles (df >= 2)
TOPIC_ITERATIONS = 3  # power iterations of the randomized SVD


def _unigram_vector(tf: Mapping[str, float], stats: TermStats) -> dict[str, float]:
    """sqrt(tf) * full IDF over the unigrams, L2-normalised: what the topic model is fitted on."""
    w = {t: math.sqrt(c) * stats.full_idf(t) for t, c in tf.items() if "_" not in t}
    norm = math.sqrt(sum(v * v for v in w.values())) or 1.0
    return {t: v / norm for t, v in w.items() if v > 0}


def _project(tf: Mapping[str, float], topics: Mapping[str, Sequence[int]]) -> list[float]:
    acc = [0.0] * TOPICS
    for t, c in tf.items():
        coords = topics.get(t)
        if coords is not None:
            w = math.sqrt(c)
            acc = [a + w * x for a, x in zip(acc, coords, strict=True)]
    norm = math.sqrt(sum(a * a for a in acc))
    return [a / norm for a in acc] if norm > 0 else []


def _gather_times(
    index: Sequence[Sequence[int]], values: Sequence[Sequence[float]], cols: Sequence[Sequence[float]]
) -> list[list[float]]:
    """S @ D for a sparse S (per row: column indices and values) and a dense D given by its columns;
    the result by columns. Every inner loop runs in C (map/sum): this is the fit's hot path."""
    return [
        [sum(map(mul, vals, map(col.__getitem__, idx))) for idx, vals in zip(index, values, strict=True)]
        for col in cols
    ]


def _orthonormal(cols: list[list[float]]) -> list[list[float]]:
    """An orthonormal basis of the given columns (modified Gram-Schmidt; a dependent column becomes 0)."""
    out: list[list[float]] = []
    for col in cols:
        for prev in out:
            d = sum(map(mul, col, prev))
            col = [a - d * b for a, b in zip(col, prev, strict=True)]
        norm = math.sqrt(sum(map(mul, col, col)))
        out.append([a / norm for a in col] if norm > 1e-12 else [0.0] * len(col))
    return out


def _symmetric_eigen(a: list[list[float]], sweeps: int = 30) -> tuple[list[float], list[list[float]]]:
    """Eigenvalues and eigenvectors (columns of the returned matrix) of a small symmetric matrix, by
    cyclic Jacobi rotations."""
    n = len(a)
    a = [list(r) for r in a]
    v = [[float(i == j) for j in range(n)] for i in range(n)]
    for _ in range(sweeps):
        off = sum(a[i][j] ** 2 for i in range(n) for j in range(i + 1, n))
        if off < 1e-22:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if abs(a[p][q]) < 1e-30:
                    continue
                theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q])
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1.0))
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):
                    akp, akq = a[k][p], a[k][q]
                    a[k][p], a[k][q] = c * akp - s * akq, s * akp + c * akq
                for k in range(n):
                    apk, aqk = a[p][k], a[q][k]
                    a[p][k], a[q][k] = c * apk - s * aqk, s * apk + c * aqk
                for k in range(n):
                    vkp, vkq = v[k][p], v[k][q]
                    v[k][p], v[k][q] = c * vkp - s * vkq, s * vkp + c * vkq
    return [a[i][i] for i in range(n)], v


def fit_topics(vectors: Sequence[Mapping[str, float]]) -> dict[str, list[float]]:
    """Latent semantic analysis of the given document vectors: each term's coordinates on the
    ``TOPICS`` leading right singular vectors (a randomized SVD, seeded: the same input gives the same
    model). The fold stores them times the term's IDF, scaled by 1e5 and rounded (a store round trip
    changes nothing).

    Only terms in at least two of the documents, the ``TOPIC_TERMS`` most frequent, get coordinates; a
    document is projected on them by ``TermStats.topic_vector``."""
    count: dict[str, int] = {}
    for vec in vectors:
        for t in vec:
            count[t] = count.get(t, 0) + 1
    vocab = sorted((t for t, c in count.items() if c >= 2), key=lambda t: (-count[t], t))[:TOPIC_TERMS]
    column = {t: j for j, t in enumerate(vocab)}
    rows = [[(column[t], w) for t, w in sorted(vec.items()) if t in column] for vec in vectors]
    rows = [r for r in rows if r]
    width = TOPICS + 10  # oversampling
    if len(rows) < width or len(vocab) < width:
        return {}
    # the documents by row and, transposed, the terms by row
    d_idx = [[j for j, _ in r] for r in rows]
    d_val = [[w for _, w in r] for r in rows]
    t_idx: list[list[int]] = [[] for _ in vocab]
    t_val: list[list[float]] = [[] for _ in vocab]
    for i, r in enumerate(rows):
        for j, w in r:
            t_idx[j].append(i)
            t_val[j].append(w)
    rng = random.Random(0)
    omega = [[rng.gauss(0.0, 1.0) for _ in vocab] for _ in range(width)]
    q = _orthonormal(_gather_times(d_idx, d_val, omega))  # range of X (documents x width)
    for _ in range(TOPIC_ITERATIONS):
        z = _orthonormal(_gather_times(t_idx, t_val, q))
        q = _orthonormal(_gather_times(d_idx, d_val, z))
    bt = _gather_times(t_idx, t_val, q)  # (Q.T @ X).T by columns: width columns over the vocabulary
    gram = [[sum(map(mul, a, b)) for b in bt] for a in bt]
    values, vecs = _symmetric_eigen(gram)
    top = sorted(range(width), key=lambda i: -values[i])[:TOPICS]
    top = [i for i in top if values[i] > 1e-12]
    if len(top) < TOPICS:
        return {}
    # right singular vector i = bt @ w_i / sigma_i, by columns over the vocabulary
    coords = []
    for i in top:
        scale = 1.0 / math.sqrt(values[i])
        col = [0.0] * len(vocab)
        for m in range(width):
            f = vecs[m][i] * scale
            if f:
                col = [c + f * x for c, x in zip(col, bt[m], strict=True)]
        coords.append(col)
    return {t: list(r) for t, r in zip(vocab, zip(*coords, strict=True), strict=True)}
