"""The sentence embeddings of a chunk of articles on every core the invocation has, before the replay.

The model's inference is most of a replay's CPU (about 184 ms an article, against about 20 ms for the
rest of an article's update) and it is independent of the order: each vector is a function of its
article alone. So a replay step computes the vectors of a chunk first, split over worker processes, and
remembers them by document fingerprint (``windows.remember``); the replay then finds every vector known
instead of running the model one article at a time. The workers compute each vector exactly as the
replay would (``semantic.model_vector`` of one text, one thread of BLAS each), so the lists are the same
bits whatever the number of workers.

One core (a Lambda function below 1,769 MB), or no process support (Lambda has no shared memory for
multiprocessing's locks): the vectors are computed in the invocation itself, as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from newsdrop.models import Article

log = logging.getLogger(__name__)

WORKERS_VARIABLE = "NEWSDROP_EMBED_WORKERS"  # overrides the core count (1: in the invocation itself)
_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def cores() -> int:
    configured = os.environ.get(WORKERS_VARIABLE)
    if configured:
        return max(1, int(configured))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _one_thread() -> None:
    # before numpy loads in the worker: a worker per core, each single-threaded, and deterministic sums
    for name in _ONE_THREAD:
        os.environ[name] = "1"


def _embeddings(articles: list[Article]) -> dict[str, str]:
    from newsdrop.related import windows

    return windows.embeddings(articles)


class Embedder:
    """``with Embedder() as e: e.remember(chunk)``: the chunk's vectors computed on ``workers`` processes
    (started once, on first use) and remembered for the replay of this process."""

    def __init__(self, workers: int | None = None):
        self.workers = cores() if workers is None else workers
        self._pool: Executor | None = None

    def __enter__(self) -> Embedder:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _executor(self) -> Executor | None:
        if self.workers < 2:
            return None
        if self._pool is None:
            try:
                # spawn, not fork: this process may hold threads (moto's interpreter runs locally)
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_one_thread)
            except (OSError, NotImplementedError):  # Lambda: no /dev/shm for the pool's locks
                log.info("no worker processes here: the vectors are computed in the invocation")
                self.workers = 1
        return self._pool

    def submit(self, articles: Sequence[Article]) -> tuple[list[Article], list[Future] | None, int]:
        """Start computing the vectors of ``articles`` on the workers (nothing yet without workers), in
        pieces (the third element: their size): the replay runs while the next vectors are computed."""
        from newsdrop.related import engine, semantic

        articles = list(articles) if engine.SEMANTIC_WEIGHT else []
        # a stand-in for the model (benches, tests) lives in this process only, and costs nothing
        pool = self._executor() if semantic.vector_source is None and len(articles) > 1 else None
        if pool is None:
            return articles, None, len(articles)
        # small pieces, so the workers finish together whatever the articles' lengths, and the replay
        # starts on the first piece instead of waiting for the whole chunk
        size = max(1, -(-len(articles) // (self.workers * 4)))
        try:
            return (
                articles,
                [pool.submit(_embeddings, articles[i : i + size]) for i in range(0, len(articles), size)],
                size,
            )
        except (OSError, NotImplementedError, RuntimeError):
            self._no_workers()
            return articles, None, len(articles)

    def in_order(self, handle: tuple[list[Article], list[Future] | None, int]) -> Iterator[list[Article]]:
        """The articles of a ``submit``, a piece at a time in their order, each piece's vectors remembered
        before it is given: the replay of the first piece overlaps the computing of the others."""
        from newsdrop.related import windows

        articles, futures, size = handle
        if futures is None:
            windows.remember(self.collect(handle))
            yield articles
            return
        for number, future in enumerate(futures):
            piece = articles[number * size : (number + 1) * size]
            try:
                windows.remember(future.result())
            except (OSError, RuntimeError):  # a worker could not start or died (BrokenProcessPool)
                self._no_workers()
                rest = articles[number * size :]
                windows.remember(_embeddings(rest))
                yield rest
                return
            yield piece

    def collect(self, handle: tuple[list[Article], list[Future] | None, int]) -> dict[str, str]:
        """The packed vector of each article of a ``submit`` by its document fingerprint."""
        articles, futures, _ = handle
        if futures is None:
            return _embeddings(articles) if articles else {}
        out: dict[str, str] = {}
        try:
            for future in futures:
                out |= future.result()
        except (OSError, RuntimeError):  # a worker could not start or died (BrokenProcessPool)
            self._no_workers()
            return _embeddings(articles)
        return out

    def _no_workers(self) -> None:
        log.warning("the worker processes failed: the vectors are computed in the invocation", exc_info=True)
        self.__exit__()
        self.workers = 1

    def vectors(self, articles: Sequence[Article]) -> dict[str, str]:
        return self.collect(self.submit(articles))

    def remember(self, articles_or_handle: Any) -> None:
        """Remember the vectors (of articles, or of what ``submit`` returned) for this process's replay."""
        from newsdrop.related import windows

        handle = (
            articles_or_handle if isinstance(articles_or_handle, tuple) else self.submit(articles_or_handle)
        )
        windows.remember(self.collect(handle))
