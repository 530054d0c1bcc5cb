"""Drop many files and run only the ingest handler on moto's own S3 notifications (the related and
notification functions never read bodies, and running them for hundreds of drops is what takes time)."""

from __future__ import annotations

import json


def ingest_files(stack, files: dict[str, bytes]) -> list[dict]:
    """Upload `files` (key -> bytes, keys under the incoming prefix), then invoke the ingest function
    with the notifications moto produced, 25 records an event. Returns the handler's outcomes."""
    s3, sqs = stack.client("s3"), stack.client("sqs")
    bucket = stack.output("DropBucketName")
    for key, data in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    url = sqs.get_queue_url(QueueName="newsdrop-local-s3-notifications")["QueueUrl"]
    records = []
    while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in msgs:
            records += json.loads(m["Body"]).get("Records", [])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert len(records) == len(files)
    ingest = stack.functions["IngestFunction"]
    outcomes = []
    for start in range(0, len(records), 25):
        outcomes += ingest.invoke({"Records": records[start : start + 25]})["drops"]
    return outcomes
