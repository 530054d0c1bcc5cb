"""The drop bucket: reading dropped objects and keeping rejected ones in quarantine."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

REPORT_SUFFIX = ".reject.json"  # beside the quarantined original


class DropBucket:
    def __init__(self, s3: Any | None = None):
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:  # on first use: a handler imports without touching AWS
            from newsdrop import aws

            self._s3 = aws.client("s3")
        return self._s3

    def read(self, bucket: str, key: str, version_id: str | None, limit: int) -> bytes:
        """At most `limit` + 1 bytes: enough to tell "too large" without trusting the event's size."""
        extra = {"VersionId": version_id} if version_id else {}
        try:
            resp = self.s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{limit}", **extra)
        except ClientError as err:
            if err.response["Error"]["Code"] == "InvalidRange":  # what S3 answers for an empty object
                return b""
            raise
        return resp["Body"].read()

    def quarantine(
        self, bucket: str, key: str, version_id: str | None, target: str, report: dict[str, Any]
    ) -> None:
        """Server-side copy of the original bytes (unchanged, never downloaded) plus a JSON report beside it.

        Both writes are idempotent, so a redelivered event rewrites the same two objects.
        """
        source = {"Bucket": bucket, "Key": key, **({"VersionId": version_id} if version_id else {})}
        self.s3.copy_object(Bucket=bucket, Key=target, CopySource=source, MetadataDirective="COPY")
        self.s3.put_object(
            Bucket=bucket,
            Key=f"{target}{REPORT_SUFFIX}",
            Body=json.dumps(report, indent=2, ensure_ascii=False).encode(),
            ContentType="application/json",
        )
