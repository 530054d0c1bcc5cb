"""What ties dropped images to articles, in the articles table (single-table, beside the articles):

| pk              | sk        | kind        | what                                                         |
|-----------------|-----------|-------------|--------------------------------------------------------------|
| IMAGE#<key>     | IMAGE     | image       | a processed image: its ImageInfo and the drop's sequencer    |
| USES#<key>      | <slug>    | image_user  | an article that names the image (lead or body), found or not |

Order does not matter. Ingest stores an article with the images already processed, writes a USES item
per image it names, then looks again for the ones it lacked; the image function writes IMAGE, then
attaches it to every USES article. Each side writes before it reads the other's, so one of them always
sees both, and attaching twice changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from newsdrop.images.refs import ImageInfo, image_keys
from newsdrop.ingest.store import article_key

if TYPE_CHECKING:
    from newsdrop.ingest.ingestor import DroppedObject
    from newsdrop.ingest.store import ArticleStore

ATTACH_ATTEMPTS = 5


class ImageRecords:
    def __init__(self, articles: ArticleStore):
        self.articles = articles

    @property
    def table(self) -> Any:
        return self.articles.table

    def get(self, key: str) -> tuple[ImageInfo, str | None] | None:
        item = self.table.get_item(Key={"pk": f"IMAGE#{key}", "sk": "IMAGE"}, ConsistentRead=True).get("Item")
        return (ImageInfo.from_json(item["info"]), item.get("sequencer")) if item else None

    def found(self, keys: list[str]) -> dict[str, ImageInfo]:
        out = {}
        for key in keys:
            record = self.get(key)
            if record is not None:
                out[key] = record[0]
        return out

    def put(self, key: str, info: ImageInfo, sequencer: str | None) -> None:
        item: dict[str, Any] = {"pk": f"IMAGE#{key}", "sk": "IMAGE", "kind": "image", "info": info.to_json()}
        if sequencer:
            item["sequencer"] = sequencer
        self.table.put_item(Item=item)

    def note_users(self, slug: str, keys: list[str]) -> None:
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for key in keys:
                batch.put_item(Item={"pk": f"USES#{key}", "sk": slug, "kind": "image_user"})

    def users(self, key: str) -> list[str]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(f"USES#{key}"),
            "ConsistentRead": True,
        }
        slugs: list[str] = []
        while True:
            page = self.table.query(**kwargs)
            slugs += [item["sk"] for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return slugs
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def attach(self, slug: str, key: str, info: ImageInfo) -> bool:
        """Add (or replace) one processed image on the live article, if it still names it. The change is a
        MODIFY of its CURRENT item, so the publisher writes its pages again. False when nothing changed."""
        for _ in range(ATTACH_ATTEMPTS):
            article = self.articles.get_article(slug)
            if article is None or key not in image_keys(article):
                return False  # withdrawn, or revised to show another picture
            if article.images.get(key) == info.to_json():
                return False  # attached already (a redelivery, or ingest found it first)
            try:
                self.table.update_item(
                    Key=article_key(slug),
                    UpdateExpression="SET images = :images",
                    ConditionExpression="revision = :rev",
                    ExpressionAttributeValues={
                        ":images": {**article.images, key: info.to_json()},
                        ":rev": article.revision,
                    },
                )
                return True
            except ClientError as err:
                if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise  # a new revision was stored meanwhile: read it and decide again
        raise RuntimeError(f"could not attach {key!r} to {slug!r}: the article kept changing")


class ImageQueue:
    """Hands image drops from ingest (which receives every drop under incoming/) to the image function."""

    def __init__(self, url: str, sqs: Any | None = None):
        self.url = url
        self._sqs = sqs

    def send(self, obj: DroppedObject) -> None:
        if self._sqs is None:
            from newsdrop import aws

            self._sqs = aws.client("sqs")
        self._sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(asdict(obj)))
