"""Start an execution of one of the state machines, follow it, and return its report: what
``newsdrop import``, ``newsdrop reindex`` and ``newsdrop publish --all`` do against a stack (deployed, or
the local one on moto's interpreter)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

MACHINES = {
    "import": "ArchiveImportStateMachineArn",
    "reindex": "ReindexStateMachineArn",
    "publish": "PublishAllStateMachineArn",
}


class ExecutionFailed(RuntimeError):
    def __init__(self, arn: str, status: str, error: str | None, cause: str | None):
        super().__init__(f"execution {arn} {status}: {error or ''} {cause or ''}".strip())
        self.arn, self.status = arn, status


def run(
    sfn: Any,
    outputs: dict[str, str],
    kind: str,
    payload: dict[str, Any],
    *,
    progress: Callable[[str, int, int], None] | None = None,
    poll_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Run one execution to its end; returns its report. ``progress(state, done, total)`` is called
    with the items of the map running at the time (when the service reports them)."""
    arn = outputs[MACHINES[kind]]
    name = f"{kind}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))["executionArn"]
    while True:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        if progress:
            _report_progress(sfn, execution, progress)
        sleep(poll_seconds)
    if described["status"] != "SUCCEEDED":
        raise ExecutionFailed(execution, described["status"], described.get("error"), described.get("cause"))
    return json.loads(described["output"])


def _report_progress(sfn: Any, execution: str, progress: Callable[[str, int, int], None]) -> None:
    try:
        runs = sfn.list_map_runs(executionArn=execution).get("mapRuns", [])
        if not runs:
            return
        counts = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"]).get("itemCounts", {})
    except Exception:  # noqa: BLE001 (progress is a courtesy: an emulator may not report map runs)
        return
    done = int(counts.get("succeeded", 0)) + int(counts.get("failed", 0))
    progress(runs[0].get("mapRunArn", "").split(":")[-2] if runs else "", done, int(counts.get("total", 0)))


def summary(report: dict[str, Any]) -> str:
    """One line a person reads: what the execution did, what failed, how long it took."""
    kind = report.get("kind", "")
    failed = f"{report.get('failed_items', 0)} items failed ({report.get('failed', 0)} units)"
    if kind == "import":
        head = (
            f"imported {report.get('articles', 0)} files: {report.get('stored', 0)} stored, "
            f"{report.get('unchanged', 0)} unchanged, {report.get('rejected', 0)} rejected"
        )
    elif kind == "reindex":
        head = (
            f"reindexed: {report.get('items', 0)} index items, {report.get('written', 0)} written, "
            f"{report.get('deleted', 0)} deleted"
        )
    else:
        head = f"published: {report.get('objects', 0)} objects"
    return f"{head}; {failed}; {report.get('duration_s', 0)} s"
