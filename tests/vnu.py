"""The Nu HTML Checker (vnu-jar, installed by `npm ci`) over a folder of pages: its errors, or a skip when
java or vnu-jar is missing on a developer's machine (CI must have both: .ci/run installs them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_errors(folder: Path) -> list[str]:
    """``folder``-relative path and message of every error in its .html pages."""
    if not VNU.exists() or shutil.which("java") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install java and vnu-jar (.ci/run does)")
        pytest.skip("java or node_modules/vnu-jar is missing (npm ci)")
    pages = sorted(str(p) for p in folder.rglob("*.html"))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *pages],
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [f"{Path(m['url'].removeprefix('file:')).relative_to(folder)}: {m['message']}" for m in messages]
