"""The moto patches of the local stack keep moto's semantics: TransactWriteItems is all or nothing and a
cancelled transaction leaves no stream record; a key Query returns what it did; SQS time is the local
clock."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from newsdrop.local import moto_patches


@pytest.fixture
def ddb(aws):
    moto_patches.apply()
    client = boto3.client("dynamodb", region_name="us-east-1")
    for name in ("one", "two"):
        client.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
    client.create_table(
        TableName="flat",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def key(pk: str, sk: str = "A") -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def stream_events(table: str) -> list[str]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled")
    )
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=it["ShardIterator"], Limit=1000)["Records"]
    return [f"{r['eventName']} {r['dynamodb']['Keys']['pk']['S']}" for r in records]


def snapshot(client, table: str) -> list[dict]:
    return sorted(client.scan(TableName=table)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def moto_table(name: str):
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].tables[name]


def seed(ddb) -> None:
    ddb.put_item(TableName="one", Item={**key("a"), "n": {"N": "1"}, "tags": {"SS": ["x"]}})
    ddb.put_item(TableName="one", Item={**key("b"), "n": {"N": "1"}})
    ddb.put_item(TableName="two", Item={**key("c"), "n": {"N": "1"}})


def test_a_cancelled_transaction_changes_nothing_and_streams_nothing(ddb):
    seed(ddb)
    before = {t: snapshot(ddb, t) for t in ("one", "two")}
    streams_before = {t: stream_events(t) for t in ("one", "two")}
    live = {t: moto_table(t) for t in ("one", "two")}
    with pytest.raises(ClientError) as info:
        ddb.transact_write_items(
            TransactItems=[
                # in-place update of an existing item (moto mutates the stored Item)
                {
                    "Update": {
                        "TableName": "one",
                        "Key": key("a"),
                        "UpdateExpression": "SET n = n + :one ADD tags :t",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":t": {"SS": ["y"]}},
                    }
                },
                {"Delete": {"TableName": "one", "Key": key("b")}},
                {"Put": {"TableName": "two", "Item": {**key("new"), "n": {"N": "9"}}}},
                {"Update": {"TableName": "two", "Key": key("c"), "UpdateExpression": "REMOVE n"}},
                # an update that creates an item
                {
                    "Update": {
                        "TableName": "one",
                        "Key": key("created"),
                        "UpdateExpression": "SET n = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": "two",
                        "Key": key("missing"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                # and one after the failed check, still applied by moto before it cancels
                {"Put": {"TableName": "one", "Item": {**key("late"), "n": {"N": "2"}}}},
            ]
        )
    assert info.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in info.value.response["CancellationReasons"]]
    assert reasons == ["None"] * 5 + ["ConditionalCheckFailed", "None"]
    assert {t: snapshot(ddb, t) for t in ("one", "two")} == before
    assert {t: stream_events(t) for t in ("one", "two")} == streams_before
    # rolled back in place, not by swapping in a copy of the whole table
    assert all(moto_table(t) is live[t] for t in ("one", "two"))
    # and the tables still work: the same transaction without the failing check commits
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "one",
                    "Key": key("a"),
                    "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Delete": {"TableName": "one", "Key": key("b")}},
            {"Put": {"TableName": "two", "Item": {**key("new"), "n": {"N": "9"}}}},
        ]
    )
    assert ddb.get_item(TableName="one", Key=key("a"))["Item"]["n"] == {"N": "2"}
    assert "Item" not in ddb.get_item(TableName="one", Key=key("b"))
    assert stream_events("one") == [*streams_before["one"], "MODIFY a", "REMOVE b"]
    assert stream_events("two") == [*streams_before["two"], "INSERT new"]


def test_a_conditional_update_that_fails_cancels_the_items_before_it(ddb):
    seed(ddb)
    before = snapshot(ddb, "one")
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "one", "Item": {**key("a"), "n": {"N": "5"}}}},
                {
                    "Update": {
                        "TableName": "one",
                        "Key": key("b"),
                        "UpdateExpression": "SET n = :two",
                        "ConditionExpression": "n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
            ]
        )
    assert snapshot(ddb, "one") == before
    assert stream_events("one") == ["INSERT a", "INSERT b"]


def test_two_operations_on_one_item_are_refused_and_undone(ddb):
    seed(ddb)
    before = snapshot(ddb, "one")
    with pytest.raises(ClientError) as info:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "one", "Item": {**key("z"), "n": {"N": "5"}}}},
                {"Delete": {"TableName": "one", "Key": key("z")}},
            ]
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert snapshot(ddb, "one") == before
    assert stream_events("one") == ["INSERT a", "INSERT b"]


def test_a_table_without_a_sort_key_rolls_back_too(ddb):
    ddb.put_item(TableName="flat", Item={"id": {"S": "1"}, "v": {"S": "old"}})
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "flat",
                        "Key": {"id": {"S": "1"}},
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "new"}},
                    }
                },
                {"Put": {"TableName": "flat", "Item": {"id": {"S": "2"}}}},
                {
                    "Delete": {
                        "TableName": "flat",
                        "Key": {"id": {"S": "3"}},
                        "ConditionExpression": "attribute_exists(id)",
                    }
                },
            ]
        )
    assert ddb.scan(TableName="flat")["Items"] == [{"id": {"S": "1"}, "v": {"S": "old"}}]


def test_a_transaction_copies_the_items_it_names_not_the_table(ddb, monkeypatch):
    import copy

    deepcopy = copy.deepcopy
    copies = []

    def counting(obj, memo=None, _nil=[]):  # noqa: B006 - copy.deepcopy's own signature
        copies.append(type(obj).__name__)
        return deepcopy(obj, memo, _nil)

    table = boto3.resource("dynamodb", region_name="us-east-1").Table("one")
    update = {
        "Update": {
            "TableName": "one",
            "Key": key("t"),
            "UpdateExpression": "SET n = :n",
            "ExpressionAttributeValues": {":n": {"N": "1"}},
        }
    }

    def copies_per_transaction() -> int:
        copies.clear()
        monkeypatch.setattr(copy, "deepcopy", counting)  # copy's own recursion goes through it too
        ddb.transact_write_items(TransactItems=[update])
        monkeypatch.setattr(copy, "deepcopy", deepcopy)
        return len(copies)

    copies_per_transaction()  # the item exists from now on: later updates copy it (copy on write)
    small = copies_per_transaction()
    with table.batch_writer() as writer:
        for i in range(3000):
            writer.put_item(Item={"pk": f"bulk{i % 300}", "sk": f"{i:05d}", "body": "x" * 200})
    # moto alone deep-copies the whole table (3,000 items and their attributes) for its rollback
    assert copies_per_transaction() == small
    assert small < 100


def test_a_key_query_reads_one_partition_in_order_with_paging(ddb):
    for pk in ("p", "q", "r"):
        for sk in ("3", "1", "2", "5", "4"):
            ddb.put_item(TableName="one", Item={**key(pk, sk), "v": {"S": f"{pk}{sk}"}})
    pages, start = [], None
    while True:
        kwargs = {"ExclusiveStartKey": start} if start else {}
        resp = ddb.query(
            TableName="one",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "q"}},
            Limit=2,
            **kwargs,
        )
        pages.append([i["v"]["S"] for i in resp["Items"]])
        start = resp.get("LastEvaluatedKey")
        if not start:
            break
    assert [v for page in pages for v in page] == ["q1", "q2", "q3", "q4", "q5"]
    desc = ddb.query(
        TableName="one",
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": "r"}, ":a": {"S": "2"}, ":b": {"S": "4"}},
        ScanIndexForward=False,
    )
    assert [i["v"]["S"] for i in desc["Items"]] == ["r4", "r3", "r2"]
    assert (
        ddb.query(
            TableName="one", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "none"}}
        )["Items"]
        == []
    )
    assert len(ddb.scan(TableName="one")["Items"]) == 15


def test_sqs_visibility_follows_the_local_clock(aws):
    moto_patches.apply()
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="clocked", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    first = sqs.receive_message(QueueUrl=url)["Messages"]
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None  # in flight for 600 s
    moto_patches.clock.advance(599)
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None
    moto_patches.clock.advance(2)
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert again[0]["MessageId"] == first[0]["MessageId"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"], VisibilityTimeout=30)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == (
        "0",
        "1",
    )
    moto_patches.clock.advance(31)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hello"
