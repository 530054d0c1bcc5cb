"""Newsdrop: ingest, related posts and notifications for a news site (shipped as a Lambda layer)."""

import gc
import os

# On Lambda, the cyclic garbage collector is paused while a function's modules import, and every object
# they made is frozen out of its reach when they are done (``newsdrop.observability.initialised``, the
# last line of each handler module). The collector otherwise walks the import's young objects over and
# over (boto3's, pydantic's, Powertools'), none of them garbage: that was about a tenth of a cold start
# (docs/benchmarks.md, cold start). Off Lambda (tests, local tools) nothing changes.
gc_paused_for_imports = bool(os.environ.get("LAMBDA_TASK_ROOT")) and gc.isenabled()
if gc_paused_for_imports:
    gc.disable()
