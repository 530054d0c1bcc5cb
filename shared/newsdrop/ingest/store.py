"""The articles table: one DynamoDB table, single-table layout.

| pk                 | sk             | kind      | what                                                    |
|--------------------|----------------|-----------|---------------------------------------------------------|
| ARTICLE#<slug>     | CURRENT        | article   | the live article (the stream consumers filter on this)  |
| ARTICLE#<slug>     | REV#<000001>   | revision  | an earlier revision, kept when a re-upload changes it   |
| SOURCE#<key>       | SOURCE         | source    | which slug an object key names, and the last sequencer  |
| DROP#<key>         | <sequencer>    | drop      | what happened to one drop (stored/unchanged/rejected)   |
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from newsdrop.models import Article, ArticleState, DropOutcome, article_from_json, article_to_json, is_public

CURRENT = "CURRENT"
# DynamoDB refuses items over 400 KB (names and values, UTF-8). moto does not, so we check it ourselves;
# the headroom covers the revision copy's longer sort key and kind.
MAX_ITEM_BYTES = 400 * 1024 - 64


def article_key(slug: str) -> dict[str, str]:
    return {"pk": f"ARTICLE#{slug}", "sk": CURRENT}


def slug_of_key(key: dict[str, Any]) -> str:
    return str(key["pk"]).removeprefix("ARTICLE#")


def article_to_item(article: Article) -> dict[str, Any]:
    return {**article_key(article.slug), "kind": "article", **article_to_json(article)}


def article_from_item(item: dict[str, Any]) -> Article:
    """An Article from a table item (boto3 resource output, or a stream image after TypeDeserializer)."""
    return article_from_json(item)


def item_size(value: Any) -> int:
    """The size DynamoDB counts for an item (or a value in it): UTF-8 lengths of names and strings,
    numbers at their maximum of 21 bytes, 3 bytes plus 1 per element for lists and maps."""
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + item_size(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return 3 + sum(item_size(v) + 1 for v in value)
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float):
        return 21
    return len(str(value).encode())


def article_size(article: Article) -> int:
    return item_size(article_to_item(article)) - 3  # the item itself is not a nested map


def hash_item(article: Article) -> dict[str, Any]:
    """The pointer from the article's content hash to its slug (``find_by_hash``)."""
    return {"pk": f"HASH#{article.content_hash}", "sk": "HASH", "kind": "hash", "slug": article.slug}


def source_item(source_key: str, slug: str, sequencer: str | None) -> dict[str, Any]:
    """The pointer from an object key to the article it holds, and the last event's sequencer."""
    source = {"pk": f"SOURCE#{source_key}", "sk": "SOURCE", "kind": "source", "slug": slug}
    if sequencer:
        source["sequencer"] = sequencer
    return source


class ItemTooLarge(ValueError):
    """An item DynamoDB would refuse: callers check article_size first and quarantine instead."""


class StaleWrite(Exception):
    """Another writer changed the article between our read and our write; re-read and decide again."""


class ArticleStore:
    # Extra attributes on the live item this store writes: the archive import's marker, which the stream
    # consumers' filters skip (their work is done in bulk at the end: newsdrop.archive).
    marker: dict[str, Any] = {}  # noqa: RUF012 (never mutated; an instance sets its own)

    def __init__(self, table_name: str, dynamodb: Any | None = None, *, marker: dict[str, Any] | None = None):
        self.table_name = table_name
        self._dynamodb = dynamodb
        self._table: Any | None = None
        if marker:
            self.marker = dict(marker)

    @property
    def table(self) -> Any:
        if self._table is None:  # on first use: a handler imports without touching AWS
            from newsdrop import aws

            self._table = (self._dynamodb or aws.resource("dynamodb")).Table(self.table_name)
        return self._table

    @property
    def _client(self) -> Any:
        return self.table.meta.client

    def get_article(self, slug: str) -> Article | None:
        item = self.table.get_item(Key=article_key(slug), ConsistentRead=True).get("Item")
        return article_from_item(item) if item else None

    def get_source(self, key: str) -> dict[str, Any] | None:
        return self.table.get_item(Key={"pk": f"SOURCE#{key}", "sk": "SOURCE"}, ConsistentRead=True).get(
            "Item"
        )

    def find_by_hash(self, content_hash: str) -> str | None:
        """The slug of the live article with exactly this content, if any (a small GSI-free lookup)."""
        item = self.table.get_item(Key={"pk": f"HASH#{content_hash}", "sk": "HASH"}, ConsistentRead=True).get(
            "Item"
        )
        return item["slug"] if item else None

    def save(
        self, article: Article, *, previous: Article | None, source_key: str, sequencer: str | None
    ) -> None:
        """Write a new article or a new revision atomically, with its source and content-hash pointers.

        Conditions make concurrent or repeated deliveries safe: exactly one writer wins each revision.
        """
        table = self.table.name
        if article_size(article) > MAX_ITEM_BYTES:
            raise ItemTooLarge(f"{article.slug}: {article_size(article):,} bytes")

        def put(item: dict[str, Any], **cond: Any) -> dict[str, Any]:
            # The resource's client serializes plain Python values itself.
            return {"Put": {"TableName": table, "Item": item, **cond}}

        items = []
        if previous is None:
            items.append(
                put(
                    {**article_to_item(article), **self.marker},
                    ConditionExpression="attribute_not_exists(pk)",
                )
            )
        else:
            items.append(
                put(
                    {**article_to_item(article), **self.marker},
                    ConditionExpression="#rev = :rev",
                    ExpressionAttributeNames={"#rev": "revision"},
                    ExpressionAttributeValues={":rev": previous.revision},
                )
            )
            old = article_to_item(previous)
            items.append(put({**old, "sk": f"REV#{previous.revision:06d}", "kind": "revision"}))
        items.append(put(hash_item(article)))
        items.append(put(source_item(source_key, article.slug, sequencer)))
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as err:
            if err.response["Error"]["Code"] in (
                "TransactionCanceledException",
                "ConditionalCheckFailedException",
            ):
                reasons = err.response.get("CancellationReasons", [])
                if not reasons or any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                    raise StaleWrite(article.slug) from err
            raise

    def restore_source(self, source_key: str, slug: str, sequencer: str | None) -> None:
        """Write a source pointer a save left out (newsdrop.archive.articles writes it last, without a
        transaction): the article is stored, but its key did not name it yet."""
        self.table.put_item(Item=source_item(source_key, slug, sequencer))

    def withdraw(self, article: Article) -> None:
        """Delete the live item (the stream's REMOVE takes it out of every related list), keeping it as
        its last revision."""
        old = article_to_item(article)
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": {
                                **old,
                                "sk": f"REV#{article.revision:06d}",
                                "kind": "revision",
                                "state": "unpublished",
                            },
                        }
                    },
                    {
                        "Delete": {
                            "TableName": self.table.name,
                            "Key": article_key(article.slug),
                            "ConditionExpression": "#rev = :rev",
                            "ExpressionAttributeNames": {"#rev": "revision"},
                            "ExpressionAttributeValues": {":rev": article.revision},
                        }
                    },
                ]
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "TransactionCanceledException":
                raise StaleWrite(article.slug) from err
            raise

    def transition(
        self, slug: str, revision: int, from_states: tuple[ArticleState, ...], to: ArticleState
    ) -> Article | None:
        """Move one revision of an article to another state, on its CURRENT item (so the stream carries
        it), only if it is still that revision in one of ``from_states``. None when it is not: a schedule
        that fires twice or late, or for a revision since replaced, changes nothing."""
        names = {f":from{i}": state for i, state in enumerate(from_states)}
        try:
            resp = self.table.update_item(
                Key=article_key(slug),
                UpdateExpression="SET #state = :to",
                ConditionExpression=f"#rev = :rev AND #state IN ({', '.join(names)})",
                ExpressionAttributeNames={"#rev": "revision", "#state": "state"},
                ExpressionAttributeValues={":rev": revision, ":to": to, **names},
                ReturnValues="ALL_NEW",
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return article_from_item(resp["Attributes"])

    def latest_revision(self, slug: str) -> Article | None:
        """The last kept revision of a withdrawn (or revised) article, if any."""
        resp = self.table.query(
            KeyConditionExpression=Key("pk").eq(f"ARTICLE#{slug}") & Key("sk").begins_with("REV#"),
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        return article_from_item(resp["Items"][0]) if resp["Items"] else None

    def slug_taken(self, slug: str) -> bool:
        """Live or withdrawn: a slug, once used, is never given to another article."""
        resp = self.table.query(
            KeyConditionExpression=Key("pk").eq(f"ARTICLE#{slug}"), Limit=1, ProjectionExpression="pk"
        )
        return bool(resp["Items"])

    def record_drop(self, outcome: DropOutcome, *, drop_id: str, event_time: str | None) -> None:
        """What one drop became. The first outcome stands: a redelivered event's "unchanged" does not
        overwrite the "stored" (or "unpublished") it follows."""
        item = {
            "pk": f"DROP#{outcome.source}",
            "sk": drop_id,
            "kind": "drop",
            **outcome.as_dict(),
        }
        if event_time:
            item["event_time"] = event_time
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def drops_for(self, key: str) -> list[dict[str, Any]]:
        resp = self.table.query(KeyConditionExpression=Key("pk").eq(f"DROP#{key}"), ConsistentRead=True)
        return resp["Items"]

    def revisions(self, slug: str) -> list[Article]:
        resp = self.table.query(
            KeyConditionExpression=Key("pk").eq(f"ARTICLE#{slug}") & Key("sk").begins_with("REV#"),
            ConsistentRead=True,
        )
        return [article_from_item(i) for i in resp["Items"]]

    def iter_public_articles(self) -> Iterator[Article]:
        """What readers may see: the input of every related-list rebuild."""
        return (a for a in self.iter_articles() if is_public(a))

    def iter_articles(self) -> Iterator[Article]:
        """Every live article: a full scan, for reindexing and local reports only (never per event)."""
        kwargs: dict[str, Any] = {"FilterExpression": Attr("kind").eq("article")}
        while True:
            page = self.table.scan(**kwargs)
            for item in page["Items"]:
                yield article_from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
