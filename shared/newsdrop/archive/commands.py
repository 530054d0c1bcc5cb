"""The command line's archive side: ``newsdrop import``, the executions behind ``newsdrop reindex`` and
``newsdrop publish --all`` against a deployed stack, and ``newsdrop run --archive`` on the embedded one."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsdrop.archive import executions


def add_import_parser(sub: Any, stack_target_args: Any) -> None:
    imp = sub.add_parser(
        "import",
        help="import an archive (folders, files or a .jsonl of articles) by the archive state machine: "
        "stored quietly, related and published once at the end",
    )
    imp.add_argument("paths", nargs="*", type=Path, help="what to upload under archive/<name>/ first")
    imp.add_argument("--name", help="the folder under archive/ (default: import-<time>)")
    imp.add_argument(
        "--source", help="import what is already in the drop bucket: archive/<folder>/ or a manifest"
    )
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    stack_target_args(imp)
    imp.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from newsdrop.archive.feed import upload_archive
    from newsdrop.cli import stack_target

    if not (args.paths or args.source):
        raise SystemExit(
            "newsdrop import: give files, folders or a .jsonl to upload, or --source archive/<folder>/"
        )
    session, outputs = stack_target(args)
    source = args.source
    if args.paths:
        name = args.name or time.strftime("import-%Y%m%dT%H%M%S")
        source, count = upload_archive(session.client("s3"), outputs["DropBucketName"], name, args.paths)
        print(f"uploaded {count} files to s3://{outputs['DropBucketName']}/{source}", file=sys.stderr)
    return run_and_print(session.client("stepfunctions"), outputs, "import", {"source": source}, args.json)


def run_and_print(
    sfn: Any, outputs: dict[str, str], kind: str, payload: dict[str, Any], as_json: bool
) -> int:
    status, text = run_and_report(sfn, outputs, kind, payload, as_json)
    print(text)
    return status


def run_and_report(
    sfn: Any,
    outputs: dict[str, str],
    kind: str,
    payload: dict[str, Any],
    as_json: bool,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, str]:
    """Start the execution, show its map's progress on stderr; (status, the report as text): status 1
    if items failed, 2 if the execution did. ``sleep``: what to do between two polls."""
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(kind, total=None)

        def progress(_: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        try:
            report = executions.run(sfn, outputs, kind, payload, progress=progress, sleep=sleep)
        except executions.ExecutionFailed as err:
            redrive = f"aws stepfunctions redrive-execution --execution-arn {err.arn}"
            return 2, f"newsdrop {kind}: {err}\n(redrive it: {redrive})"
    lines = [json.dumps(report, indent=2) if as_json else executions.summary(report)]
    for name in ("related", "publish"):
        if isinstance(report.get(name), dict) and not as_json:
            lines.append(f"  {name}: {executions.summary(report[name])}")
    failed = report.get("failed_items", 0) + sum(
        (report.get(n) or {}).get("failed_items", 0) for n in ("related", "publish")
    )
    return (1 if failed else 0), "\n".join(lines)


def has_state_machine(outputs: dict[str, str], kind: str) -> bool:
    return executions.MACHINES[kind] in outputs


def run_archive_locally(
    paths: list[Path], *, verify: bool, site: Path | None, as_json: bool
) -> tuple[int, str]:
    """``newsdrop run --archive``: the embedded stack, the files uploaded under archive/, one import
    execution on moto's interpreter, the stream events delivered while it runs (as Lambda's pollers
    deliver them: the publisher sees the related lists the reindex writes before the site is planned, as
    on AWS); then the events left, the emails sent (none) and, with ``verify``, the lists compared with a
    reindex computed apart (newsdrop.archive.verify)."""
    from newsdrop.archive.feed import upload_archive
    from newsdrop.archive.verify import Verifier
    from newsdrop.local.dispatch import Dispatcher
    from newsdrop.local.mail import sent_messages
    from newsdrop.local.pipeline import LOCAL_PARAMETERS, embedded_aws, write_site
    from newsdrop.local.sfn import invocation_lock
    from newsdrop.local.stack import LocalStack

    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    env = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    with embedded_aws():
        stack = LocalStack(env_overrides=env, parameters=LOCAL_PARAMETERS).deploy()
        source, count = upload_archive(stack.client("s3"), stack.output("DropBucketName"), "local", paths)
        print(f"uploaded {count} files to archive/", file=sys.stderr)
        dispatcher = Dispatcher(stack)
        verifier = Verifier(stack) if verify else None
        sfn = stack.client("stepfunctions")

        def deliver_then_wait(seconds: float) -> None:
            # between two tasks: a function owns the process's environment while it runs
            with invocation_lock:
                while dispatcher.step():
                    pass
                if verifier is not None and not verifier.started and verifier.reindexed(sfn):
                    verifier.start()  # on another core, while the execution publishes
            time.sleep(seconds)

        status, report = run_and_report(
            sfn,
            stack.outputs(),
            "import",
            {"source": source},
            as_json,
            sleep=deliver_then_wait,
        )
        dispatcher.pump()
        lines = [report, f"emails sent: {len(sent_messages(stack))}"]
        if verifier is not None:
            equal, total = verifier.lists_equal()
            lines.append(f"related lists equal to a reindex: {equal}/{total}")
            status = status or (0 if equal == total else 1)
        if site is not None:
            lines.append(f"site: {write_site(stack, site)} files in {site}")
    workers = _children_cpu() - children
    lines.append(
        f"time: {time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU"
        + (
            f" (and {workers:.1f} s in worker processes: the embedding, the reindex to verify)"
            if workers >= 0.05
            else ""
        )
    )
    return status, "\n".join(lines)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
