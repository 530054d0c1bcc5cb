"""Which queues of a stack are dead-letter queues, and how many messages each holds.

Read from the (SAM-translated) template, not from a list kept by hand, so a queue added with a new
feature is reported as soon as something sends its failures there: a queue is a dead-letter queue when
another queue's ``RedrivePolicy`` names it, or when a function's on-failure destination (event source
mapping, asynchronous invoke config) or ``DeadLetterConfig`` does. Used by `newsdrop run` (every DLQ,
read back at the end) and `newsdrop doctor` (every DLQ empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def dead_letter_queues(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids of the template's dead-letter queues, in template order."""
    targets: set[str] = set()
    for res in resources.values():
        props = res.get("Properties", {}) or {}
        kind = res.get("Type")
        if kind == "AWS::SQS::Queue":
            redrive = props.get("RedrivePolicy") or {}
            targets |= _queue_refs(redrive.get("deadLetterTargetArn"))
        elif kind in ("AWS::Lambda::EventSourceMapping", "AWS::Lambda::EventInvokeConfig"):
            destination = (props.get("DestinationConfig") or {}).get("OnFailure") or {}
            targets |= _queue_refs(destination.get("Destination"))
        elif kind == "AWS::Lambda::Function":
            targets |= _queue_refs((props.get("DeadLetterConfig") or {}).get("TargetArn"))
    return [
        logical_id
        for logical_id, res in resources.items()
        if logical_id in targets and res.get("Type") == "AWS::SQS::Queue"
    ]


def _queue_refs(value: Any) -> set[str]:
    if isinstance(value, Mapping):
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return {target[0] if isinstance(target, list) else str(target).split(".", 1)[0]}
        if "Ref" in value:
            return {value["Ref"]}
    return set()


def queue_depth(sqs: Any, url: str) -> int:
    """Every message the queue holds: waiting, in flight (being read by an operator's redrive) and delayed."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(v) for v in attrs.values())


def dead_letter_depths(sqs: Any, urls: Mapping[str, str]) -> dict[str, int]:
    """{logical id: messages} for each dead-letter queue URL."""
    return {name: queue_depth(sqs, url) for name, url in urls.items()}


def describe_non_empty(depths: Mapping[str, int]) -> str:
    """ "RelatedDeadLetterQueue (3), ..." for the queues holding messages; "" when all are empty."""
    return ", ".join(f"{name} ({count})" for name, count in depths.items() if count)
