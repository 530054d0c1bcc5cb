"""`newsdrop`: run the pipeline on an embedded local stack, watch it live, drop files, reindex."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ARTICLE_SUFFIXES = {".md", ".markdown", ".json", ".html", ".htm", ".txt"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsdrop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the whole pipeline on files, on an embedded local stack (moto)")
    run.add_argument("paths", nargs="*", type=Path, help="article files or folders (default: the samples)")
    run.add_argument(
        "--subscribers", help="N confirmed subscribers following everything, or a CSV email,topics"
    )
    run.add_argument("--outbox", type=Path, help="write every sent email as an .eml file here")
    run.add_argument(
        "--site", type=Path, help="write the whole reader site (pages, feeds, API) to this folder"
    )
    run.add_argument("--json", action="store_true", help="print exactly one JSON object")
    run.add_argument("--verbose", action="store_true", help="function logs on stderr")
    run.add_argument(
        "--now",
        type=_utc_time,
        help="after the drops, move the local clock to this time (e.g. 2027-06-01T12:05:00Z): "
        "schedules due by then fire (embargoed articles publish, expiries pass)",
    )
    run.add_argument(
        "--archive",
        action="store_true",
        help="import PATHs (folders, files, a .jsonl of articles) as an archive: one archive-import execution "
        "(no email, lists and pages computed once at the end); see docs/archive.md",
    )
    run.add_argument(
        "--verify", action="store_true", help="with --archive: compare every list with a reindex"
    )
    run.set_defaults(func=cmd_run)

    dev = sub.add_parser("dev", help="a live local stack: moto server + event dispatcher (Ctrl-C stops)")
    dev.add_argument("--port", type=int, default=4566)
    dev.add_argument("--site-port", type=int, default=8000, help="the site + subscription API origin")
    dev.add_argument("--outbox", type=Path, default=Path("outbox"), help="emails sent by the stack land here")
    dev.set_defaults(func=cmd_dev)

    drop = sub.add_parser("drop", help="upload article files to the drop bucket of a stack")
    drop.add_argument("files", nargs="+", type=Path)
    where = drop.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="the stack `newsdrop dev` runs on this machine")
    where.add_argument("--stack", default="newsdrop", help="a deployed stack's name (default: newsdrop)")
    _outcome_options(drop)
    drop.set_defaults(func=cmd_drop)

    unpublish = sub.add_parser(
        "unpublish", help="withdraw an article: delete its file from the drop bucket (revisions are kept)"
    )
    unpublish.add_argument("target", metavar="SLUG|KEY", help="the article's slug, or its file's key")
    _stack_options(unpublish)
    _outcome_options(unpublish)
    unpublish.set_defaults(func=cmd_unpublish)

    doctor = sub.add_parser(
        "doctor", help="check a stack is ready: SES, secrets, rule set, CDN, alarms, dead letters, lag"
    )
    _stack_options(doctor)
    doctor.set_defaults(func=cmd_doctor)

    reindex = sub.add_parser(
        "reindex", help="recompute every related list from scratch (after a scoring change)"
    )
    where = reindex.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="the stack `newsdrop dev` runs on this machine")
    where.add_argument("--stack", default="newsdrop", help="a deployed stack's name (default: newsdrop)")
    reindex.add_argument(
        "--in-process", action="store_true", help="here, in one process, not by the stack's state machine"
    )
    reindex.set_defaults(func=cmd_reindex)

    publish = sub.add_parser("publish", help="re-render the reader site (after a template or design change)")
    publish.add_argument(
        "--all", action="store_true", required=True, help="every page, feed and API document"
    )
    where = publish.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="the stack `newsdrop dev` runs on this machine")
    where.add_argument("--stack", default="newsdrop", help="a deployed stack's name (default: newsdrop)")
    publish.add_argument(
        "--in-process", action="store_true", help="here, in one process, not by the stack's state machine"
    )
    publish.set_defaults(func=cmd_publish)

    from newsdrop.archive.commands import add_import_parser

    add_import_parser(sub, _stack_options)

    args = parser.parse_args(argv)
    from newsdrop.local.allocator import keep_freed_memory

    keep_freed_memory()  # as on Lambda (template.yaml, Globals)
    return args.func(args)


def _stack_options(command: argparse.ArgumentParser) -> None:
    where = command.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="the stack `newsdrop dev` runs on this machine")
    where.add_argument("--stack", default="newsdrop", help="a deployed stack's name (default: newsdrop)")


def _sharded(args: argparse.Namespace, kind: str) -> int | None:
    """A deployed stack's state machine does it (docs/archive.md); None: do it here, as before (the
    `newsdrop dev` stack, --in-process, or a stack deployed without the state machines)."""
    if args.local or args.in_process:
        return None
    from newsdrop.archive.commands import has_state_machine, run_and_print

    session, outputs = stack_target(args)
    if not has_state_machine(outputs, kind):
        return None
    return run_and_print(session.client("stepfunctions"), outputs, kind, {"step_chunks": 0}, False)


def _outcome_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--timeout", type=float, default=120, help="seconds to wait for each outcome (default: 120)"
    )
    command.add_argument("--no-wait", action="store_true", help="return once S3 has the change")


def _utc_time(text: str):
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time like 2027-06-01T12:05:00Z: {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def article_files(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, object key under incoming/) in drop order: files as given, folders sorted by name."""
    found = []
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                found.append((file, file.relative_to(path).as_posix()))
        elif path.is_file():
            found.append((path, path.name))
        else:
            raise SystemExit(f"newsdrop: no such file or folder: {path}")
    return found


@contextmanager
def stdout_reserved_for_report() -> Iterator[int]:
    """Everything printed while the pipeline runs (function logs, metrics, moto) goes to stderr, so
    stdout carries only the report; yields the file descriptor of the real stdout."""
    sys.stdout.flush()
    real = os.dup(1)
    os.dup2(2, 1)
    try:
        yield real
    finally:
        sys.stdout.flush()
        os.dup2(real, 1)
        os.close(real)


def cmd_run(args: argparse.Namespace) -> int:
    from newsdrop.local.pipeline import run_pipeline
    from newsdrop.local.stack import PROJECT_ROOT

    if args.archive:
        from newsdrop.archive.commands import run_archive_locally

        if not args.paths:
            raise SystemExit("newsdrop run --archive: give the folders, files or .jsonl to import")
        with stdout_reserved_for_report():
            status, text = run_archive_locally(
                args.paths, verify=args.verify, site=args.site, as_json=args.json
            )
        print(text)
        return status

    paths = args.paths or [PROJECT_ROOT / "samples"]
    files = article_files(paths)
    with stdout_reserved_for_report():
        result = run_pipeline(
            files,
            subscribers=args.subscribers,
            outbox=args.outbox,
            site=args.site,
            verbose=args.verbose,
            progress=not args.json,
            now=args.now,
        )
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        from newsdrop.local.summary import print_summary

        print_summary(result)
    if args.site is not None:
        index = (args.site / "index.html").resolve()
        print(
            # A plain static server would answer the subscribe form with 501: `newsdrop dev` serves the API too
            f"site: {index.as_uri()}  (a static copy; live, subscribe form included: newsdrop dev)",
            file=sys.stderr,
        )
    status = 0
    pending = [d["source"] for d in result["drops"] if d["status"] == "pending"]
    if pending:
        # A file that is neither stored nor quarantined is a failure (its event is in the ingest DLQ).
        print(
            f"newsdrop: {len(pending)} file(s) left pending (neither stored nor quarantined; see the ingest "
            f"dead-letter queue): {', '.join(pending)}",
            file=sys.stderr,
        )
        status = 2
    from newsdrop.deadletters import describe_non_empty

    if failed := describe_non_empty(result["dead_letters"]):
        # A stored article whose related, notification or site update failed every retry is not done.
        print(f"newsdrop: events ended in dead-letter queues: {failed}", file=sys.stderr)
        status = 2
    return status


def cmd_dev(args: argparse.Namespace) -> int:
    from newsdrop.local.dev import serve

    serve(args.port, site_port=args.site_port, outbox=args.outbox)
    return 0


def stack_target(args: argparse.Namespace):
    """(boto3 session, stack outputs) of the local `newsdrop dev` stack or of a deployed one."""
    import boto3

    if args.local:
        from newsdrop.local.dev import local_target

        target = local_target()
        os.environ["AWS_ENDPOINT_URL"] = target["endpoint"]
        session = boto3.session.Session(
            region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        return session, target["outputs"]
    session = boto3.session.Session()
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    return session, {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def cmd_reindex(args: argparse.Namespace) -> int:
    sharded = _sharded(args, "reindex")
    if sharded is not None:
        return sharded
    from rich.progress import Progress

    from newsdrop.ingest.store import ArticleStore
    from newsdrop.related.engine import rebuild
    from newsdrop.related.store import DynamoDBRelatedIndex

    session, outputs = stack_target(args)
    dynamodb = session.resource("dynamodb")
    articles = list(ArticleStore(outputs["ArticlesTableName"], dynamodb).iter_public_articles())
    index = DynamoDBRelatedIndex(outputs["RelatedTableName"], dynamodb)
    with Progress() as bar:
        task = bar.add_task("reindexing", total=len(articles))
        outcome = rebuild(
            index, lambda: articles, force=True, progress=lambda i, slug: bar.update(task, completed=i)
        )
    print(
        f"recomputed the related lists of {outcome.articles} articles: "
        f"{outcome.items_changed} index items written or deleted"
        + ("" if outcome.settled else "; articles changed meanwhile: run it again")
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    sharded = _sharded(args, "publish")
    if sharded is not None:
        return sharded
    import time

    from rich.progress import Progress

    from newsdrop.site.export import publish_all

    session, outputs = stack_target(args)
    started = time.perf_counter()
    with Progress() as bar:
        task = bar.add_task("rendering", total=None)
        report = publish_all(
            session, outputs, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    print(
        f"published the site: {report.written} objects written, {report.deleted} deleted, "
        f"{report.invalidation_paths} paths invalidated in one invalidation, {time.perf_counter() - started:.1f} s"
    )
    return 0


def cmd_drop(args: argparse.Namespace) -> int:
    """Upload each file, then (unless --no-wait) wait for what ingest made of it: stored with its URL, or
    rejected with the reason and where the file is kept. Exit 1 if any was rejected or is still pending."""
    from newsdrop import outcomes

    session, outputs = stack_target(args)
    s3, bucket, prefix = session.client("s3"), outputs["DropBucketName"], outputs["IncomingPrefix"]
    store = _article_store(session, outputs)
    failed = 0
    for path, key in article_files(args.files):
        seen = outcomes.drop_count(store, f"{prefix}{key}")
        s3.upload_file(str(path), bucket, f"{prefix}{key}")
        print(f"dropped {path} -> s3://{bucket}/{prefix}{key}", flush=True)
        if not args.no_wait:
            outcome = outcomes.await_outcome(store, f"{prefix}{key}", seen, timeout=args.timeout)
            print(outcomes.describe(outcome, outputs, bucket), flush=True)
            failed += outcome.status not in ("stored", "unchanged")
    return 1 if failed else 0


def cmd_unpublish(args: argparse.Namespace) -> int:
    from newsdrop import outcomes

    session, outputs = stack_target(args)
    bucket, prefix = outputs["DropBucketName"], outputs["IncomingPrefix"]
    store = _article_store(session, outputs)
    try:
        key = outcomes.source_key(store, prefix, args.target)
    except LookupError as err:
        print(f"newsdrop: {err}", file=sys.stderr)
        return 1
    seen = outcomes.drop_count(store, key)
    # The drop bucket is versioned: this adds a delete marker (S3 sends ObjectRemoved:DeleteMarkerCreated)
    # and every version of the file stays recoverable.
    session.client("s3").delete_object(Bucket=bucket, Key=key)
    print(f"deleted s3://{bucket}/{key}", flush=True)
    if args.no_wait:
        return 0
    outcome = outcomes.await_outcome(store, key, seen, timeout=args.timeout)
    if outcome.status == "unchanged":
        print(f"nothing to unpublish: {key} names no published article")
        return 0
    print(outcomes.describe(outcome, outputs, bucket))
    return 0 if outcome.status == "unpublished" else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    """A table of checks, each with what to do about it; exit 1 if any failed."""
    from newsdrop import doctor

    session, _ = stack_target(args)
    if args.local:
        from newsdrop.local.dev import local_target

        target = doctor.local_target(session, local_target())
    else:
        target = doctor.deployed_target(session, args.stack)
    checks = doctor.run_checks(target)
    doctor.print_table(checks)
    failed = [c.name for c in checks if c.status == doctor.FAIL]
    if failed:
        print(f"newsdrop doctor: {len(failed)} check(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _article_store(session, outputs: dict[str, str]):
    from newsdrop.ingest.store import ArticleStore

    return ArticleStore(outputs["ArticlesTableName"], session.resource("dynamodb"))


if __name__ == "__main__":
    raise SystemExit(main())
