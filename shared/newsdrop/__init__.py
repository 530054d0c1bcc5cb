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

# Regular expressions compiled when the layers were built (shared/Makefile), where this Python can use
# them: the first re.compile of each pattern then makes no program (newsdrop.regex_table).
from newsdrop.regex_table import install as _install_regex_table  # noqa: E402

_install_regex_table()
