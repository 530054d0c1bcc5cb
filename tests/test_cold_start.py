"""What a cold start does at import: every handler module imports without creating a boto3 client,
without importing the X-Ray SDK or building Powertools' event models (they are built on the first
invocation, newsdrop.event_models), and without touching the network (no instance metadata lookups),
with and without the environment Lambda sets. Timing is bench/cold_start.py's job; this checks the
causes."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from cold_start import base_env, lambda_env, template_env  # noqa: E402

PROBE = """
import json, socket, sys
attempts = []
def refuse(self, address, *args):
    attempts.append(str(address))
    raise OSError("network at import time")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
import botocore.session
made = []
create = botocore.session.Session.create_client
def create_client(self, *args, **kwargs):
    made.append(args[0] if args else kwargs.get("service_name"))
    return create(self, *args, **kwargs)
botocore.session.Session.create_client = create_client
import app
import gc
print(json.dumps({"clients": made, "network": attempts,
                  "gc": {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count() > 0},
                  "xray": sorted(m for m in sys.modules if m.startswith("aws_xray_sdk")),
                  "batch": "aws_lambda_powertools.utilities.batch" in sys.modules,
                  "event_models": sorted(m for m in sys.modules
                                         if m.startswith("aws_lambda_powertools.utilities.parser"))}))
"""

FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))


def probed(name: str, code: str, with_lambda_env: bool) -> dict:
    """The JSON the last line of ``code`` prints, run in the function's folder and environment."""
    env = base_env() | template_env()[name] | (lambda_env(name) if with_lambda_env else {})
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT / "functions" / name,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def imported(name: str, with_lambda_env: bool) -> dict:
    return probed(name, PROBE, with_lambda_env)


@pytest.mark.parametrize("with_lambda_env", [False, True], ids=["no-env", "lambda-env"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_importing_a_handler_makes_no_client_loads_no_xray_nor_event_models_reaches_no_network_and_leaves_the_gc_on(
    name, with_lambda_env
):
    """And the cyclic GC, paused on Lambda for the imports (newsdrop/__init__.py), runs again once they are
    done, with what they made frozen (observability.initialised, each handler's last line): a handler
    that forgot it would never collect a cycle in a warm container. Off Lambda nothing is paused or frozen."""
    seen = imported(name, with_lambda_env)
    assert seen == {
        "clients": [],
        "network": [],
        "gc": {"enabled": True, "frozen": with_lambda_env},
        "xray": [],
        "batch": False,
        "event_models": [],
    }


def test_the_probe_sees_a_client_made_at_import():
    """The check above can fail: a module that makes a client at import is caught."""
    env = base_env() | {"AWS_DEFAULT_REGION": "eu-west-1"}
    probe = PROBE.replace("import app", "import boto3; boto3.client('s3')")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(out.stdout.strip().splitlines()[-1])["clients"] == ["s3"]


def test_the_probe_sees_event_models_and_the_batch_utilities_loaded_at_import():
    """The same check catches the other two costs it guards: Powertools' event models built at import
    (docs/validation.md: most of what validation adds to a cold start), and its batch utilities."""
    code = "import aws_lambda_powertools.utilities.batch\nfrom newsdrop.event_models import stream_record\nstream_record()"
    probe = PROBE.replace("import app", code)
    out = subprocess.run(
        [sys.executable, "-c", probe], env=base_env(), capture_output=True, text=True, timeout=120
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert (
        seen["batch"] is True
        and "aws_lambda_powertools.utilities.parser.models.dynamodb" in seen["event_models"]
    )


def test_every_function_that_imports_pydantic_ships_it():
    """Every shipped module may import pydantic (Powertools' Parser, our messages), so the newsdrop layer,
    which every function carries (template Globals), must ship it: the tests, which have it anyway
    (aws-sam-translator needs it), would not notice a layer without it."""
    requirements = (ROOT / "shared" / "requirements.txt").read_text()
    assert any(line.split(">")[0].strip() == "pydantic" for line in requirements.splitlines())
    template = (ROOT / "template.yaml").read_text()
    globals_block = template[template.index("Globals:") : template.index("Resources:")]
    assert "- !Ref NewsdropLayer" in globals_block
    shipped = [*(ROOT / "shared" / "newsdrop").rglob("*.py"), *(ROOT / "functions").glob("*/app.py")]
    importers = set()
    for path in shipped:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "pydantic" or n.startswith("pydantic.") for n in names):
                importers.add(str(path.relative_to(ROOT)))
    assert "shared/newsdrop/event_models.py" in importers  # the check reads imports where they are


def test_traced_handlers_still_trace_when_tracing_is_on(monkeypatch):
    """The lazy Tracer hands over to Powertools' on the first call when on Lambda with tracing on."""
    from newsdrop import observability

    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "probe")
    tracer = observability.LazyTracer()

    @tracer.capture_lambda_handler
    def handler(event, context):
        return {"ok": event["n"]}

    assert tracer._tracer is None  # nothing built at decoration time
    handled = []

    class Recorder:
        def capture_lambda_handler(self, fn, **options):
            def traced(event, context):
                handled.append(event)
                return fn(event, context)

            return traced

    tracer._tracer = Recorder()
    assert handler({"n": 1}, None) == {"ok": 1}
    assert handled == [{"n": 1}]  # went through the real tracer's wrapper

    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    plain = observability.LazyTracer()
    traced_off = plain.capture_lambda_handler(lambda event, context: "plain")
    assert traced_off({}, None) == "plain" and plain._tracer is None


FIRST_BATCH_PROBE = """
import json, sys
import app
app.handler._build()
print(json.dumps({"batch": "aws_lambda_powertools.utilities.batch" in sys.modules,
                  "asyncio": "asyncio" in sys.modules}))
"""


@pytest.mark.parametrize("name", ["fanout", "notify"])
def test_a_consumer_first_invocation_loads_neither_powertools_batch_nor_asyncio(name):
    """The partial batch responses are ours (newsdrop.partial_batch): Powertools' batch utilities, with the
    event data classes and asyncio they import, cost 0.14x of `import boto3` on every consumer's first
    invocation (docs/benchmarks.md). A queue and a stream consumer, their first invocation built."""
    assert probed(name, FIRST_BATCH_PROBE, with_lambda_env=True) == {"batch": False, "asyncio": False}
