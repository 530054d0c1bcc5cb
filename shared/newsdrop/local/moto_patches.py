"""Work around moto behaviour that makes long local runs quadratic in time and memory.

1. moto's TransactWriteItems deep-copies every table it touches, once per item, to roll back on failure,
   and a table's copy includes its whole DynamoDB stream (every old and new image ever written). Stream
   records are immutable once appended, so the rollback copy shares them: a copy of the list restores the
   stream exactly; the items are still deep-copied.
2. Every moto model instance is kept in a class-level list for the server dashboard, including each of
   those rollback copies of every table and item: 1,000 ingests kept about 18 GB alive. Tables and items
   are not tracked (the dashboard's other services, SES messages among them, still are).
"""

from __future__ import annotations

import copy
from typing import Any

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamShard, Table

    def table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
        shard = getattr(self, "stream_shard", None)
        clone = copy.copy(self)
        memo[id(self)] = clone
        for name, value in vars(self).items():
            if name != "stream_shard":
                setattr(clone, name, copy.deepcopy(value, memo))
        if shard is not None:
            shard_copy = copy.copy(shard)
            shard_copy.items = list(shard.items)
            clone.stream_shard = shard_copy
        return clone

    assert not hasattr(Table, "__deepcopy__"), "moto now copies tables itself: re-check this patch"
    assert StreamShard  # the type whose records are shared
    Table.__deepcopy__ = table_deepcopy
    untracked = staticmethod(lambda cls, *args, **kwargs: object.__new__(cls))
    for model in (Item, Table):
        model.__new__ = untracked
        model.instances_tracked = []
    _applied = True
