"""Lambda event filtering (the EventBridge pattern subset that event source mappings accept)."""

from __future__ import annotations

import json
from typing import Any


def matches_any(patterns: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    return any(matches(p, _filterable(record)) for p in patterns)


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """SQS filters see the body as JSON when it parses (as Lambda does)."""
    if "body" in record and isinstance(record["body"], str):
        try:
            return {**record, "body": json.loads(record["body"])}
        except ValueError:
            return record
    return record


def matches(pattern: dict[str, Any], value: Any) -> bool:
    for key, expected in pattern.items():
        present = isinstance(value, dict) and key in value
        actual = value.get(key) if isinstance(value, dict) else None
        if isinstance(expected, dict):
            # An absent object matches only where every rule below asks for absence (as on AWS:
            # {"NewImage": {"archive_run": {"S": [{"exists": false}]}}} passes an image without it).
            if not matches(expected, actual if present else {}):
                return False
            continue
        if not any(_match_rule(rule, present, actual) for rule in expected):
            return False
    return True


def _match_rule(rule: Any, present: bool, actual: Any) -> bool:
    if isinstance(rule, dict):
        if "exists" in rule:
            return present == rule["exists"]
        if not present:
            return False
        if "prefix" in rule:
            return isinstance(actual, str) and actual.startswith(rule["prefix"])
        if "anything-but" in rule:
            excluded = rule["anything-but"]
            excluded = excluded if isinstance(excluded, list) else [excluded]
            return actual not in excluded
        if "numeric" in rule:
            return _numeric(rule["numeric"], actual)
        raise ValueError(f"unsupported filter rule {rule!r}")
    if rule is None:
        return present and actual is None
    values = actual if isinstance(actual, list) else [actual]
    return present and rule in values


def _numeric(ops: list[Any], actual: Any) -> bool:
    try:
        number = float(actual)
    except (TypeError, ValueError):
        return False
    checks = {
        "=": number.__eq__,
        "<": number.__lt__,
        "<=": number.__le__,
        ">": number.__gt__,
        ">=": number.__ge__,
    }
    return all(checks[op](float(ops[i + 1])) for i, op in enumerate(ops) if isinstance(op, str))
