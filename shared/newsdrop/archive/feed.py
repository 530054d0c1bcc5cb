"""An archive given as files or as one JSON Lines file, uploaded under ``archive/<name>/`` of the drop
bucket (``newsdrop run --archive PATH``, ``newsdrop import PATH``, the benchmarks and the tests).

A JSONL row is an article as the JSON format takes it (``title``, ``body``, optional ``author``,
``date``, ``tags``, ``slug``); a corpus row's ``category`` becomes its tag, and a row without a date is
dated in file order over ``spread_from`` + one day per ``per_day`` rows (an archive is back-dated: it is
published, never announced). Rows are read in place, one at a time."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ARCHIVE_ROOT = "archive/"
SPREAD_FROM = datetime(2005, 1, 1, 6, 0, tzinfo=UTC)


class BadArchiveRow(ValueError):
    pass


def article_rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as err:
                raise BadArchiveRow(f"{path}:{number}: not JSON ({err.msg})") from None
            if (
                not isinstance(row, dict)
                or not row.get("title")
                or not (row.get("body") or row.get("content"))
            ):
                raise BadArchiveRow(f"{path}:{number}: an article needs a title and a body")
            yield row


def article_document(row: dict[str, Any], number: int, *, per_day: int = 6) -> bytes:
    doc = {
        k: row[k]
        for k in ("title", "body", "content", "author", "date", "tags", "slug", "summary")
        if k in row
    }
    if "tags" not in doc and row.get("category"):
        doc["tags"] = [row["category"]]
    if "date" not in doc:
        doc["date"] = (SPREAD_FROM + timedelta(hours=24 * number / per_day)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(doc, ensure_ascii=False).encode()


def archive_files(paths: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    """(relative name, bytes) of every article in ``paths``: a .jsonl file's rows become JSON files,
    other files are taken as they are, folders by name."""
    number = 0
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                yield file.relative_to(path).as_posix(), file.read_bytes()
        elif path.suffix == ".jsonl":
            for row in article_rows(path):
                name = str(row.get("id") or f"{number:07d}").replace("/", "-")
                yield f"{name}.json", article_document(row, number)
                number += 1
        else:
            yield path.name, path.read_bytes()


def upload_archive(s3: Any, bucket: str, name: str, paths: Iterable[Path]) -> tuple[str, int]:
    """Upload the articles under ``archive/<name>/``; returns (that prefix, files uploaded). A bad row
    raises ``BadArchiveRow`` (its file and line) before anything is uploaded."""
    prefix = f"{ARCHIVE_ROOT}{name.strip('/')}/"
    paths = list(paths)
    for path in paths:  # every row checked first: a bad row uploads nothing (the file is read twice)
        if path.suffix == ".jsonl":
            for _ in article_rows(path):
                pass
    count = 0
    for relative, body in archive_files(paths):
        s3.put_object(Bucket=bucket, Key=prefix + relative, Body=body)
        count += 1
    return prefix, count
