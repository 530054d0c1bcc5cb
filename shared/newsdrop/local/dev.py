"""`newsdrop dev`: a long-running local stack (a moto server on 127.0.0.1) with a live event dispatcher, and the
reader's origin (the site and the subscription API on one port, `newsdrop.local.web`)."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from newsdrop.local.audience import prepare_mail
from newsdrop.local.dispatch import Dispatcher
from newsdrop.local.pipeline import FAKE_CREDENTIALS, LOCAL_PARAMETERS
from newsdrop.local.stack import PROJECT_ROOT, LocalStack
from newsdrop.local.web import SiteServer

# Where `newsdrop dev` says it is listening, for `newsdrop drop --local` and `reindex --local`.
STATE_FILE = Path(os.environ.get("NEWSDROP_DEV_STATE", PROJECT_ROOT / ".newsdrop-dev.json"))
log = logging.getLogger("newsdrop.dev")


def serve(
    port: int,
    *,
    site_port: int = 8000,
    outbox: Path | None = None,
    state_file: Path = STATE_FILE,
    idle_seconds: float = 0.3,
) -> None:
    from moto.server import ThreadedMotoServer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per moto request drowns the story
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # The functions' own boto3 clients pick the endpoint up from the environment, as the CLI's do.
    os.environ.update(FAKE_CREDENTIALS | {"AWS_ENDPOINT_URL": endpoint})
    # Bound before the deploy: emails must link to the origin a reader's browser will use.
    lock = threading.Lock()  # one function at a time: invocations swap this process's environment
    site = SiteServer("127.0.0.1", site_port, lock=lock)
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack = LocalStack(parameters=dev_parameters(site.origin)).deploy()
        prepare_mail(stack)
        publish_site(stack)
        site.attach(stack).start()
        outputs = local_outputs(stack.outputs(), site.origin)
        bucket, prefix = outputs["DropBucketName"], outputs["IncomingPrefix"]
        state_file.write_text(
            json.dumps(
                {
                    "endpoint": endpoint,
                    "site": site.origin,
                    "outbox": str(outbox or ""),
                    "outputs": outputs,
                    "stack_name": stack.stack_name,  # for `newsdrop doctor --local`
                }
            )
        )
        log.info("local stack %s is up on %s", stack.stack_name, endpoint)
        log.info("site and subscription API: %s/", site.origin)
        if outbox is not None:
            log.info("emails the stack sends are written to %s/", outbox)
        log.info("drop bucket: %s (prefix %s)", bucket, prefix)
        log.info("try: newsdrop drop samples/*.md --local")
        log.info("  or: aws --endpoint-url %s s3 cp article.md s3://%s/%s", endpoint, bucket, prefix)
        dispatcher = Dispatcher(stack)
        mailroom = Outbox(stack, outbox) if outbox is not None else None
        while not stopping:
            with lock:
                delivered = dispatcher.step()
            if mailroom and (delivered or site.activity.is_set()):
                site.activity.clear()
                mailroom.collect()
            if not delivered:
                time.sleep(idle_seconds)
        log.info(
            "stopping: %d invocations, %d failed attempts",
            dispatcher.stats.invocations,
            dispatcher.stats.failures,
        )
    finally:
        state_file.unlink(missing_ok=True)
        if site.stack is not None:
            site.stop()
        server.stop()


def dev_parameters(origin: str) -> dict[str, str]:
    """The site and the API are both served by `origin` (one origin, as CloudFront puts them)."""
    return LOCAL_PARAMETERS | {"SiteBaseUrl": origin, "SubscriptionsBaseUrl": origin}


def local_outputs(outputs: dict[str, str], origin: str) -> dict[str, str]:
    """moto cannot give the HTTP API or the distribution a URL (its `${NotificationsApi}` stays unresolved): the
    local origin serves both."""
    local = dict(outputs)
    for name, value in outputs.items():
        if "${" in value or "execute-api" in value or "cloudfront.net" in value:
            local[name] = origin
    return local


def publish_site(stack: LocalStack) -> None:
    """The whole site, before the first article: home, bookmarks, 404 and static files (`publish --all`)."""
    from newsdrop.site.export import publish_local_stack

    publish_local_stack(stack)


class Outbox:
    """Writes every email the stack has sent to a folder, one .eml each, as it is sent."""

    def __init__(self, stack: LocalStack, folder: Path):
        self.stack, self.folder = stack, folder
        self.written = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.eml"):  # a new stack starts with an empty outbox
            old.unlink()

    def collect(self) -> None:
        from newsdrop.local.mail import sent_messages

        mails = sent_messages(self.stack)
        for n, mail in enumerate(mails[self.written :], self.written + 1):
            path = self.folder / f"{n:05d}-{mail.article or 'mail'}.eml"
            path.write_text(mail.raw)
            log.info("mail to %s: %s (%s)", mail.to, mail.subject, path)
        self.written = len(mails)


def local_target(state_file: Path = STATE_FILE) -> dict[str, str]:
    if not state_file.exists():
        raise SystemExit("newsdrop: no local stack is running; start one with `newsdrop dev`")
    return json.loads(state_file.read_text())
