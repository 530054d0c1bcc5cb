"""Helpers shared by the benchmarks: DynamoDB item counting and the BBC corpus, read in place."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

BBC = Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc-news.jsonl"


def add_engine_settings(parser) -> None:
    """``--set NAME=VALUE`` (repeatable): run with a numeric constant of ``newsdrop.related.engine`` changed."""
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="change an engine constant (tuning)"
    )


def apply_engine_settings(parser, items: list[str]) -> None:
    from newsdrop.related import engine

    for item in items:
        name, _, value = item.partition("=")
        current = getattr(engine, name, None)
        if not (name.isupper() and isinstance(current, int | float)):
            parser.error(f"--set {item}: {name} is not a numeric constant of newsdrop.related.engine")
        try:
            setattr(engine, name, type(current)(value))
        except ValueError:
            parser.error(f"--set {item}: {value!r} is not a {type(current).__name__}")
    if items:
        print("engine constants changed:", " ".join(items), flush=True)


def bbc_rows(limit: int | None = None) -> list[dict[str, Any]]:
    """The BBC articles beside the checkout (copyrighted: read here, never copied into the repo)."""
    rows = []
    with BBC.open() as f:
        for line in f:
            rows.append(json.loads(line))
            if limit and len(rows) >= limit:
                break
    return rows


class DynamoDBCounter:
    """Items read and written through every boto3 DynamoDB client of the default session (the handlers'
    module-level clients included), counted from the requests and responses as DynamoDB bills them."""

    def __init__(self, session: boto3.session.Session | None = None):
        self.reads = 0
        self.writes = 0
        self.calls: Counter[str] = Counter()
        session = session or boto3._get_default_session()
        # Register before the clients are made: a client copies its session's handlers when created.
        session.events.register("provide-client-params.dynamodb", self._remember_params)
        session.events.register("after-call.dynamodb", self._after_call)

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        context["bench_params"] = params

    def reset(self) -> None:
        self.reads = self.writes = 0
        self.calls.clear()

    def _after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        op = model.name
        self.calls[op] += 1
        params = kwargs.get("context", {}).get("bench_params", {}) or {}
        if op in ("GetItem",):
            self.reads += 1
        elif op in ("Query", "Scan"):
            self.reads += max(1, parsed.get("ScannedCount", parsed.get("Count", 0)))
        elif op == "BatchGetItem":
            self.reads += sum(len(v) for v in parsed.get("Responses", {}).values())
        elif op == "TransactGetItems":
            self.reads += len(parsed.get("Responses", []))
        elif op in ("PutItem", "UpdateItem", "DeleteItem"):
            self.writes += 1
        elif op == "BatchWriteItem":
            sent = sum(len(v) for v in params.get("RequestItems", {}).values())
            left = sum(len(v) for v in parsed.get("UnprocessedItems", {}).values())
            self.writes += sent - left
        elif op == "TransactWriteItems":
            self.writes += len(params.get("TransactItems", []))
