"""`newsdrop run`: deploy template.yaml into in-process moto, drop the files, drive every event, report."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from newsdrop.local.dispatch import Dispatcher
from newsdrop.local.report import (
    Drop,
    article_report,
    dead_letter_report,
    drop_report,
    email_report,
    schedule_report,
)
from newsdrop.local.stack import LocalStack

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


# Links in locally sent emails point somewhere recognisably local (there is no API Gateway in moto).
# No debounce locally: the dispatcher runs a rebuild as soon as the events before it are done.
LOCAL_PARAMETERS = {
    "SubscriptionsBaseUrl": "https://subscriptions.newsdrop.localhost",
    "RelatedRebuildDelaySeconds": "0",
}
# For scenarios about delivery, not freshness (chaos): their made-up articles are dated 2025, and here
# every one of them counts as news, so each is announced as before the lifecycle existed.
EVERY_ARTICLE_IS_NEWS = {"NotifyMaxAgeHours": "87600"}


@contextmanager
def embedded_aws() -> Iterator[None]:
    """moto in this process, with fake credentials so nothing can ever reach a real account."""
    from moto import mock_aws

    saved = dict(os.environ)
    os.environ.update(FAKE_CREDENTIALS)
    # moto says so for every type it does not emulate; `LocalStack` already handles those itself.
    warnings.filterwarnings("ignore", message="Tried to parse")
    logging.getLogger("moto").setLevel(logging.ERROR)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws():
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def drop_file(stack: LocalStack, path: Path, key: str) -> str:
    object_key = f"{stack.parameters['IncomingPrefix']}{key}"
    stack.client("s3").put_object(
        Bucket=stack.output("DropBucketName"), Key=object_key, Body=path.read_bytes()
    )
    return object_key


def run_pipeline(
    files: list[tuple[Path, str]],
    *,
    subscribers: str | None = None,
    outbox: Path | None = None,
    site: Path | None = None,
    verbose: bool = False,
    progress: bool = True,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Drop the files (one at a time, each settled before the next), then, with ``now``, move the local
    clock there: the schedules due by then fire (embargoes lift, expiries pass), as on AWS."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    env = {} if verbose else {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    with embedded_aws():
        stack = LocalStack(env_overrides=env, parameters=LOCAL_PARAMETERS).deploy()
        prepare_mail(stack, subscribers)
        dispatcher = Dispatcher(stack)
        drops = []
        with _progress(progress, len(files)) as advance:
            for path, key in files:
                drops.append(Drop(path=path, key=drop_file(stack, path, key)))
                dispatcher.pump()
                advance(path.name)
        if now is not None:
            dispatcher.advance_clock_to(now)
            dispatcher.pump()
        dropped = drop_report(stack, drops)
        articles = article_report(stack, [d["slug"] for d in dropped if d["slug"]])
        emails = email_report(stack)
        schedules = schedule_report(dispatcher)
        dead_letters = dead_letter_report(stack)
        if outbox is not None:
            from newsdrop.local.mail import sent_messages, write_outbox

            write_outbox(sent_messages(stack), outbox)
        if site is not None:
            write_site(stack, site)
    return {
        "drops": dropped,
        "articles": articles,
        "emails": emails,
        "schedules": schedules,
        "dead_letters": dead_letters,
    }


def write_site(stack: LocalStack, dest: Path) -> int:
    """The site the publisher wrote while the files were dropped, plus what only a full publish writes
    (static files, /search/, /bookmarks/, the 404 page), copied from the site bucket to ``dest``."""
    from newsdrop.site.export import export_site
    from newsdrop.site.wiring import static_files

    s3, bucket = stack.client("s3"), stack.output("SiteBucketName")
    from newsdrop.site.render import HTML, Renderer, SiteSettings

    renderer = Renderer(SiteSettings(base_url=stack.output("SiteUrl")))
    for key, page in renderer.standing_pages().items():
        s3.put_object(Bucket=bucket, Key=key, Body=page, ContentType=HTML)
    for key, body, kind in static_files():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=kind)
    return export_site(s3, bucket, dest)


def prepare_mail(stack: LocalStack, subscribers: str | None) -> None:
    from newsdrop.local.audience import prepare_mail, seed_subscribers

    prepare_mail(stack)
    if subscribers:
        seed_subscribers(stack, subscribers)


@contextmanager
def _progress(enabled: bool, total: int):
    if not enabled or total < 2:
        yield lambda name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("dropping"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)
        yield lambda name: bar.update(task, advance=1, description=name)
