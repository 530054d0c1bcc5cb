"""The articles store of an archive import: a first import writes its three items without a transaction.

A transaction bills every item twice, and an article's live item is its largest (the text and the reader's
HTML: several KB): on an archive of a million articles, the ingest's transaction was the largest part of
DynamoDB's bill (measured by ``bench/archive_scale.py``, see docs/archive.md). A first import has nothing
to keep consistent with (no live item, no revision to copy), so it writes, in this order:

1. the hash pointer (content hash -> slug), unconditionally;
2. the live item, on condition that the slug is free (a race for the slug raises ``StaleWrite``, and the
   ingestor decides again on fresh state, as after a failed transaction);
3. the source pointer (object key -> slug).

Each write may be the last one made (a Lambda error, a timeout), and the batch is then retried, so the
order is the one whose every prefix a retry completes:

- after 1 only: the hash pointer names a slug with no live item (or another content's): ``find_by_hash``
  is always checked against the live item's own hash, so it is ignored, and the retry stores the article;
- after 1 and 2: the retry finds the article by its hash, with this file as its source: the file is
  ``unchanged`` and the ingestor writes the missing source pointer (``ArticleStore.restore_source``);
- the live item is never written before its hash pointer, so a duplicate inside the archive (the same
  content in another file) is always found, as with the transaction.

A revision (the live item exists) still goes through the transaction: it replaces an article readers
have, and keeps its previous revision, which must happen together.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from newsdrop.ingest.store import (
    MAX_ITEM_BYTES,
    ArticleStore,
    ItemTooLarge,
    StaleWrite,
    article_size,
    article_to_item,
    hash_item,
    source_item,
)
from newsdrop.models import Article


class ArchiveArticleStore(ArticleStore):
    def save(
        self, article: Article, *, previous: Article | None, source_key: str, sequencer: str | None
    ) -> None:
        if previous is not None:
            super().save(article, previous=previous, source_key=source_key, sequencer=sequencer)
            return
        if article_size(article) > MAX_ITEM_BYTES:
            raise ItemTooLarge(f"{article.slug}: {article_size(article):,} bytes")
        self.table.put_item(Item=hash_item(article))
        try:
            self.table.put_item(
                Item={**article_to_item(article), **self.marker},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleWrite(article.slug) from err
            raise
        self.table.put_item(Item=source_item(source_key, article.slug, sequencer))
