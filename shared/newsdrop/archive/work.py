"""The executions' scratch space: manifests, checkpoints and shard files under one S3 prefix per run.

Checkpoints are pickles: written and read only by this code, in the stack's own private bucket (the same
trust as the code itself), and an in-memory related index holds sets, tuples and dataclasses that JSON
would not round-trip without a schema of its own."""

from __future__ import annotations

import json
import pickle
import zlib
from dataclasses import dataclass
from typing import Any


@dataclass
class WorkArea:
    s3: Any
    bucket: str
    prefix: str  # e.g. "archive-runs/<run id>/"

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def put_json(self, name: str, value: Any) -> str:
        key = self.key(name)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(value).encode())
        return key

    def get_json(self, name: str) -> Any:
        return json.loads(self.s3.get_object(Bucket=self.bucket, Key=self.key(name))["Body"].read())

    def put_blob(self, name: str, value: Any) -> str:
        key = self.key(name)
        body = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return key

    def get_blob(self, name: str) -> Any:
        body = self.s3.get_object(Bucket=self.bucket, Key=self.key(name))["Body"].read()
        return pickle.loads(zlib.decompress(body))  # noqa: S301 (our own checkpoint, see the module doc)
