"""Tell the editors about a rejected drop: one message on the ``EditorNotifications`` SNS topic per
rejected upload (file, reason, how to fix it, where the file is kept), whoever subscribed to it (the
template's optional e-mail subscription, a chat integration...).

Once per upload, though S3 may deliver its event twice and a failed invocation is retried: the drop's
own record (``DROP#<key>`` / drop id, which ingest writes first) is claimed with a conditional write
before publishing, and released if SNS fails, so the retry publishes instead. A crash between the claim
and the publish loses that one message (the drop record and the quarantined file still say it all).
"""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from newsdrop.models import DropOutcome, RejectReason

log = logging.getLogger(__name__)

# What the editor can do about each reason (the detail says what was found).
FIXES: dict[str, str] = {
    RejectReason.EMPTY: "Save the article's text into the file, then drop it again.",
    RejectReason.TOO_LARGE: "Shorten the article or move images out of it, then drop it again.",
    RejectReason.UNSUPPORTED_TYPE: (
        "Export the article as Markdown (.md), HTML, JSON or plain text, then drop that file."
    ),
    RejectReason.UNDECODABLE: "Save the file as UTF-8 text, then drop it again.",
    RejectReason.BAD_FRONT_MATTER: (
        "Fix the front matter between the two --- lines (YAML: one 'field: value' per line), then drop it again."
    ),
    RejectReason.BAD_JSON: "Fix the JSON (a validator names the line), then drop it again.",
    RejectReason.TOO_COMPLEX: "Remove the deep nesting or repeated aliases from the file, then drop it again.",
    RejectReason.MISSING_TITLE: "Add a title (a 'title:' field, or a first '# ' heading), then drop it again.",
    RejectReason.MISSING_BODY: "Add the article's text below its fields, then drop it again.",
    RejectReason.INVALID_FIELD: "Correct the field named above, then drop the file again.",
    RejectReason.SLUG_TAKEN: (
        "Choose another slug, or drop the text under the other article's file name to revise it."
    ),
}


class EditorNotices:
    def __init__(
        self, topic_arn: str, table_name: str, *, sns: Any | None = None, dynamodb: Any | None = None
    ):
        self.topic_arn = topic_arn
        self.table_name = table_name
        self._sns, self._dynamodb = sns, dynamodb

    @classmethod
    def from_env(cls) -> EditorNotices | None:
        """None when the stack has no editors' topic (an older template): rejects are still quarantined."""
        topic = os.environ.get("EDITOR_TOPIC_ARN")
        return cls(topic, os.environ["ARTICLES_TABLE"]) if topic else None

    @property
    def sns(self) -> Any:
        if self._sns is None:
            from newsdrop import aws

            self._sns = aws.client("sns")
        return self._sns

    @property
    def dynamodb(self) -> Any:
        if self._dynamodb is None:
            from newsdrop import aws

            self._dynamodb = aws.client("dynamodb")
        return self._dynamodb

    def rejected(self, outcome: DropOutcome, *, drop_id: str, bucket: str) -> bool:
        """Publish the rejection once; True if this call published it."""
        key = {"pk": {"S": f"DROP#{outcome.source}"}, "sk": {"S": drop_id}}
        try:
            self.dynamodb.update_item(
                TableName=self.table_name,
                Key=key,
                UpdateExpression="SET editors_told = :now",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(editors_told)",
                ExpressionAttributeValues={":now": {"S": datetime.now(UTC).isoformat()}},
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False  # told already (a redelivered event), or no such drop
            raise
        try:
            self.sns.publish(TopicArn=self.topic_arn, **message(outcome, bucket))
        except Exception:
            # Release the claim: the invocation fails, and its retry publishes.
            self.dynamodb.update_item(
                TableName=self.table_name, Key=key, UpdateExpression="REMOVE editors_told"
            )
            raise
        log.info("editors told of a rejected drop", extra={"key": outcome.source, "reason": outcome.reason})
        return True


def message(outcome: DropOutcome, bucket: str) -> dict[str, Any]:
    """SNS Subject (ASCII, at most 100 characters) and Message: a text for people, and the same facts as
    message attributes for filters (a subscription can ask for one reason only)."""
    name = outcome.source.rsplit("/", 1)[-1]
    fix = FIXES.get(outcome.reason or "", "Correct the file, then drop it again.")
    kept = f"s3://{bucket}/{outcome.quarantined_as}" if outcome.quarantined_as else "(not kept)"
    text = "\n".join(
        [
            f"The file {outcome.source} was not published.",
            "",
            f"Reason: {outcome.reason}",
            f"What was found: {outcome.detail}",
            f"How to fix it: {fix}",
            "",
            f"The file as dropped is kept at {kept}, with a .reject.json report beside it.",
            "Dropping a corrected file under the same name publishes it.",
        ]
    )
    subject = re.sub(r"[^\x20-\x7e]", "?", f"Newsdrop: {name} rejected ({outcome.reason})")
    return {
        "Subject": subject[:100],
        "Message": text,
        "MessageAttributes": {
            "reason": {"DataType": "String", "StringValue": str(outcome.reason)},
            "file": {"DataType": "String", "StringValue": outcome.source},
        },
    }
