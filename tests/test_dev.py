"""`newsdrop dev` runs a live local stack that an editor in another terminal can drop files into."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
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


def http(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=data, headers=headers or {}, method="GET" if data is None else "POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def mails(outbox: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(outbox.glob("*.eml"))
    ]


def test_dev_stack_ingests_drops_from_the_cli_and_from_plain_s3_and_stops_cleanly(tmp_path):
    state, outbox = tmp_path / "dev.json", tmp_path / "outbox"
    env = os.environ | {"NEWSDROP_DEV_STATE": str(state)}
    dev = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsdrop.cli",
            "dev",
            "--port",
            str(free_port()),
            "--site-port",
            str(free_port()),
            "--outbox",
            str(outbox),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(state.exists, 90, "the dev stack to come up")
        target = json.loads(state.read_text())
        site = target["site"]
        # The API's URL is the local origin that serves it, not moto's unresolved `https://${NotificationsApi}...`
        assert target["outputs"]["NotificationsApiUrl"] == site
        assert not [v for v in target["outputs"].values() if "${" in v], target["outputs"]

        # A reader subscribes on the site's origin, as the article page's form does, and confirms from the email.
        status, body = http(
            f"{site}/subscribers",
            json.dumps({"email": "dev.reader@example.org", "everything": True}).encode(),
            {"content-type": "application/json"},
        )
        assert status == 202, body
        [confirmation] = wait_for(lambda: mails(outbox), 60, "the confirmation email in the outbox")
        text = confirmation.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"http://\S+/confirm\?token=\S+", text).group(0)
        assert link.startswith(f"{site}/confirm?token="), link
        status, page = http(link)
        assert status == 200 and "Yes, subscribe me" in page
        status, page = http(link, b"", {"content-type": "application/x-www-form-urlencoded"})
        assert status == 200 and "You are subscribed" in page, page

        session = boto3.session.Session(
            region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        table = session.resource("dynamodb", endpoint_url=target["endpoint"]).Table(
            target["outputs"]["ArticlesTableName"]
        )
        # Today's news (the sample's 2025 date would make it back-dated: published, never emailed).
        fresh = tmp_path / "venezuela-election-date.md"
        sample = (ROOT / "samples" / "venezuela-election-date.md").read_text(encoding="utf-8")
        fresh.write_text(re.sub(r"(?m)^date: .*\n", "", sample), encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "newsdrop.cli", "drop", str(fresh), "--local"],
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
        # ...published on the site, and mailed to the reader who confirmed.
        wait_for(lambda: http(f"{site}/late-news/")[0] == 200, 60, "the article's page on the site")
        assert "<h1>Late news</h1>" in http(f"{site}/late-news/")[1]
        assert http(f"{site}/no-such-article/")[0] == 404
        assert "late-news" in http(f"{site}/")[1]
        delivered = wait_for(
            lambda: {m["X-Newsdrop-Article"] for m in mails(outbox)[1:]} >= slugs or None,
            60,
            "both articles to be mailed",
        )
        assert delivered
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
        # Deleting the file, as `aws s3 rm` would, sends the event S3 sends (a delete marker: the drop
        # bucket is versioned), and the article leaves the site.
        session.client("s3", endpoint_url=target["endpoint"]).delete_object(
            Bucket=target["outputs"]["DropBucketName"], Key="incoming/late news.txt"
        )
        wait_for(lambda: http(f"{site}/late-news/")[0] == 404, 60, "the deleted file's page to go")
        unpublish = subprocess.run(
            [sys.executable, "-m", "newsdrop.cli", "unpublish", fresh.name, "--local", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert unpublish.returncode == 0, unpublish.stdout + unpublish.stderr
        assert "unpublished: " in unpublish.stdout, unpublish.stdout
        assert not [i for i in table.scan()["Items"] if i.get("kind") == "article"]
    finally:
        dev.send_signal(signal.SIGINT)
        out, _ = dev.communicate(timeout=30)
    assert dev.returncode == 0, out
    assert "handled" in out or "IngestFunction" in out, out
    assert not state.exists(), "the state file is removed on Ctrl-C"
