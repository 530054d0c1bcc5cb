"""`newsdrop dev`: a long-running local stack (a moto server on 127.0.0.1) with a live event dispatcher."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from newsdrop.local.audience import prepare_mail
from newsdrop.local.dispatch import Dispatcher
from newsdrop.local.pipeline import FAKE_CREDENTIALS, LOCAL_PARAMETERS
from newsdrop.local.stack import PROJECT_ROOT, LocalStack

# Where `newsdrop dev` says it is listening, for `newsdrop drop --local` and `reindex --local`.
STATE_FILE = Path(os.environ.get("NEWSDROP_DEV_STATE", PROJECT_ROOT / ".newsdrop-dev.json"))
log = logging.getLogger("newsdrop.dev")


def serve(port: int, *, state_file: Path = STATE_FILE, idle_seconds: float = 0.3) -> None:
    from moto.server import ThreadedMotoServer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per moto request drowns the story
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # The functions' own boto3 clients pick the endpoint up from the environment, as the CLI's do.
    os.environ.update(FAKE_CREDENTIALS | {"AWS_ENDPOINT_URL": endpoint})
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack = LocalStack(parameters=LOCAL_PARAMETERS).deploy()
        prepare_mail(stack)
        outputs = stack.outputs()
        bucket, prefix = outputs["DropBucketName"], outputs["IncomingPrefix"]
        state_file.write_text(json.dumps({"endpoint": endpoint, "outputs": outputs}))
        log.info("local stack %s is up on %s", stack.stack_name, endpoint)
        log.info("drop bucket: %s (prefix %s)", bucket, prefix)
        log.info("try: newsdrop drop samples/*.md --local")
        log.info("  or: aws --endpoint-url %s s3 cp article.md s3://%s/%s", endpoint, bucket, prefix)
        dispatcher = Dispatcher(stack)
        while not stopping:
            if not dispatcher.step():
                time.sleep(idle_seconds)
        log.info(
            "stopping: %d invocations, %d failed attempts",
            dispatcher.stats.invocations,
            dispatcher.stats.failures,
        )
    finally:
        state_file.unlink(missing_ok=True)
        server.stop()


def local_target(state_file: Path = STATE_FILE) -> dict[str, str]:
    if not state_file.exists():
        raise SystemExit("newsdrop: no local stack is running; start one with `newsdrop dev`")
    return json.loads(state_file.read_text())
