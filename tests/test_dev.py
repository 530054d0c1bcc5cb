"""`newsdrop dev` runs a live local stack that an editor in another terminal can drop files into."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_dev_stack_ingests_drops_from_the_cli_and_from_plain_s3_and_stops_cleanly(tmp_path):
    state = tmp_path / "dev.json"
    env = os.environ | {"NEWSDROP_DEV_STATE": str(state)}
    dev = subprocess.Popen(
        [sys.executable, "-m", "newsdrop.cli", "dev", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(state.exists, 90, "the dev stack to come up")
        target = json.loads(state.read_text())
        session = boto3.session.Session(
            region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        table = session.resource("dynamodb", endpoint_url=target["endpoint"]).Table(
            target["outputs"]["ArticlesTableName"]
        )
        subprocess.run(
            [sys.executable, "-m", "newsdrop.cli", "drop", "samples/venezuela-election-date.md", "--local"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=60,
        )
        # What `aws --endpoint-url ... s3 cp` does:
        session.client("s3", endpoint_url=target["endpoint"]).put_object(
            Bucket=target["outputs"]["DropBucketName"],
            Key="incoming/late news.txt",
            Body=b"Late news\n\nThe council approved the new harbour budget on Friday evening.",
        )

        def stored_slugs():
            items = table.scan()["Items"]
            slugs = {i["slug"] for i in items if i.get("kind") == "article"}
            return slugs if len(slugs) == 2 else None

        slugs = wait_for(stored_slugs, 60, "both drops to be stored")
        assert "late-news" in slugs
        reindex = subprocess.run(
            [sys.executable, "-m", "newsdrop.cli", "reindex", "--local"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert "recomputed the related lists of 2 articles" in reindex.stdout, reindex.stdout
    finally:
        dev.send_signal(signal.SIGINT)
        out, _ = dev.communicate(timeout=30)
    assert dev.returncode == 0, out
    assert "handled" in out or "IngestFunction" in out, out
    assert not state.exists(), "the state file is removed on Ctrl-C"
