"""Ingest throughput and cost: articles per second through the real handler on in-process moto, DynamoDB
items per article, and the handler's cold import time next to a bare `import boto3`.

    .venv/bin/python bench/ingest.py [N]        (N articles, default 1000; BBC corpus when present)
    .venv/bin/python bench/ingest.py --smoke    (20 articles, CI)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BBC, DynamoDBCounter, bbc_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def cold_import_seconds(statement: str, runs: int = 7) -> float:
    from cold_start import template_env  # the function's environment as the template gives it

    env = (
        os.environ
        | template_env()["ingest"]
        | {
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYTHONPATH": str(ROOT / "functions" / "ingest"),
        }
    )
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times)


def articles(n: int) -> list[tuple[str, bytes]]:
    if BBC.exists():
        return [
            (f"bbc-{row['id']}.md", f"---\ntitle: {json.dumps(row['title'])}\n---\n{row['body']}".encode())
            for row in bbc_rows(n)
        ]
    return [(f"synthetic-{i}.txt", f"Synthetic article {i}\n\n{'word ' * 400}".encode()) for i in range(n)]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=1000, help="articles (default 1000)")
    parser.add_argument("--smoke", action="store_true", help="20 articles (CI)")
    args = parser.parse_args()
    n = 20 if args.smoke else args.n
    from newsdrop.local.pipeline import embedded_aws
    from newsdrop.local.stack import S3_EVENTS_QUEUE, LocalStack

    with embedded_aws():
        stack = LocalStack(
            env_overrides={"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}
        )
        stack.deploy()
        s3, sqs = stack.client("s3"), stack.client("sqs")
        bucket = stack.output("DropBucketName")
        queue = sqs.get_queue_url(QueueName=S3_EVENTS_QUEUE)["QueueUrl"]
        docs = articles(n)
        for name, body in docs:
            s3.put_object(Bucket=bucket, Key=f"incoming/{name}", Body=body)
        events = []
        while msgs := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            for m in msgs:
                events += [{"Records": [r]} for r in json.loads(m["Body"]).get("Records", [])]
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        counter = DynamoDBCounter()  # before the handler's clients exist
        ingest = stack.functions["IngestFunction"]
        ingest.invoke(events[0])  # cold start outside the timing
        counter.reset()
        started = time.perf_counter()
        statuses: dict[str, int] = {}
        for event in events[1:]:
            for drop in ingest.invoke(event)["drops"]:
                statuses[drop["status"]] = statuses.get(drop["status"], 0) + 1
        elapsed = time.perf_counter() - started
        handled = len(events) - 1

    boto3_import = cold_import_seconds("import boto3")
    handler_import = cold_import_seconds("import app")
    print(
        f"corpus: {'BBC ' + str(BBC) if BBC.exists() else 'synthetic'}; {handled} articles through the handler"
    )
    print(f"outcomes: {statuses}")
    print(
        f"throughput: {handled / elapsed:.1f} articles/s ({1000 * elapsed / handled:.1f} ms each, moto in-process)"
    )
    print(
        f"DynamoDB per article: {counter.reads / handled:.2f} items read, {counter.writes / handled:.2f} written; "
        f"calls: {dict(counter.calls)}"
    )
    print(
        f"cold import: handler module {1000 * handler_import:.0f} ms vs bare `import boto3` {1000 * boto3_import:.0f} ms"
    )


if __name__ == "__main__":
    main()
