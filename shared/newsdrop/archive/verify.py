"""``newsdrop run --archive --verify``: every stored list compared with a reindex computed apart, in memory.

That reindex replays every article again (the same code as the reindex state machine's replay), which is
about as much CPU as the replay itself. It needs only the stored articles and their vectors, both settled
once the import's reindex has run: so it starts then, in a worker process, while this process runs the
rest of the execution (the tables written by shards, the site published), and its lists are compared at
the end. The worker inherits this process's environment (its BLAS threads too): the same arithmetic as a
reindex run here. Where no worker process can start, the reindex runs here at the end, as before.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from newsdrop.models import Article, RelatedEntry

log = logging.getLogger(__name__)


def reindexed_lists(articles: list[Article], vectors: dict[str, str]) -> dict[str, list[RelatedEntry]]:
    """The lists of ``newsdrop reindex`` (every article replayed in order), the vectors known beforehand."""
    from newsdrop.related import windows
    from newsdrop.related.engine import InMemoryRelatedIndex, reindex_all

    windows.remember(vectors)
    index = InMemoryRelatedIndex()
    reindex_all(index, articles)
    return {a.slug: index.lists.get(a.slug, []) for a in articles}


class Verifier:
    def __init__(self, stack: Any):
        self.stack = stack
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future | None = None
        self._articles: list[Article] | None = None

    def _public_articles(self) -> list[Article]:
        from newsdrop.ingest.store import ArticleStore

        store = ArticleStore(self.stack.resource("ArticlesTable"), self.stack.session.resource("dynamodb"))
        return list(store.iter_public_articles())

    def reindexed(self, sfn: Any) -> bool:
        """Whether the import's reindex has succeeded (its own execution, nested in the import's)."""
        arn = self.stack.outputs()["ReindexStateMachineArn"]
        return bool(sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED").get("executions"))

    @property
    def started(self) -> bool:
        return self._articles is not None

    def start(self) -> None:
        """The reindex in a worker process, from the stored articles and the vectors this process knows."""
        from newsdrop.related import semantic

        if self.started:
            return
        self._articles = self._public_articles()
        try:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            self._future = self._pool.submit(reindexed_lists, self._articles, dict(semantic._known))
        except (OSError, NotImplementedError):
            log.info("no worker process: the reindex to compare with runs at the end, here")
            self._pool = self._future = None

    def lists_equal(self) -> tuple[int, int]:
        """(articles whose stored list equals a reindex's, public articles)."""
        from newsdrop.related import semantic
        from newsdrop.related.store import DynamoDBRelatedIndex

        articles = self._articles if self._articles is not None else self._public_articles()
        if self._future is not None:
            canonical = self._future.result()
            self._pool.shutdown()
        else:
            canonical = reindexed_lists(articles, dict(semantic._known))
        stored = DynamoDBRelatedIndex(
            self.stack.resource("RelatedTable"), self.stack.session.resource("dynamodb")
        ).get_lists([a.slug for a in articles])
        equal = sum(stored.get(a.slug, []) == canonical.get(a.slug, []) for a in articles)
        return equal, len(articles)
