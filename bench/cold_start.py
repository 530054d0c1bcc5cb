"""Cold start: each handler module imported in a fresh process, paired with a bare ``import boto3`` in
the same run, with and without the Lambda environment; and the size of what each function deploys.

    .venv/bin/python bench/cold_start.py              # 15 rounds, the least CPU of each
    .venv/bin/python bench/cold_start.py --smoke      # 1 round (CI)
    # "first" charges what the first invocation builds before it calls AWS: the batch processor, the
    # event model (Powertools Parser, pydantic), the sample event from events/ parsed
    # as deployed: Python 3.13, the layer as shared/Makefile builds it (for this machine's CPU: the
    # arm64 build cannot load here), boto3 where /var/runtime has it; --strip-pyc: without its .pyc
    export PYENV_VERSION=3.11.7:3.13.0
    make -C shared build-NewsdropLayer ARTIFACTS_DIR=/tmp/layer-x86 PLATFORM=manylinux2014_x86_64
    python3.13 -m pip install --target /tmp/runtime-sdk boto3==1.44.8
    for l in BodyLibrariesLayer TemplatingLayer AddressValidationLayer; do
        make -C shared build-$l ARTIFACTS_DIR=/tmp/libraries-x86 PLATFORM=manylinux2014_x86_64; done
    .venv/bin/python bench/cold_start.py --python python3.13 --layer /tmp/layer-x86/python \
        --sdk /tmp/runtime-sdk --library-layers /tmp/libraries-x86/python [--strip-pyc]
    # the same first invocations counted in instructions (valgrind), which load on the machine does not move
    .venv/bin/python bench/cold_start.py --instructions --python python3.13 --layer /tmp/layer-x86/python \
        --sdk /tmp/runtime-sdk --library-layers /tmp/libraries-x86/python

Whole-process CPU time (user + system, interpreter start included, as on Lambda's init) of
``python -c "import app; import boto3"`` against ``python -c "import boto3"``, alternated within each round. CPU time,
not wall time: on this shared 2-core machine wall time mostly measured the other processes. The least
CPU time of the rounds, for every column alike: other processes only ever add to a run's CPU time
(caches and cores shared), never take from it, so the least is the run they disturbed least; medians of
a few rounds on a loaded machine moved a ratio by 0.2x from one run to the next.
"Lambda env" adds what the runtime sets (function name, LAMBDA_TASK_ROOT: Powertools' Tracer is then
on, region, credentials); "no env" has only the template's variables (no region, no credentials: a
client made at import would fail or reach for the instance metadata endpoint). The size columns come
from the last ``sam build`` (``make deploy-checks``): layer + function code, zipped as Lambda gets it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from package_size import function_sizes  # noqa: E402


def _template() -> dict:
    import yaml

    from newsdrop.local.sam import _CfnLoader

    return yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)  # noqa: S506 (safe subclass)


def _functions(tpl: dict) -> dict[str, dict]:
    """function directory name -> its Properties"""
    return {
        Path(str(res["Properties"].get("CodeUri", ""))).name: res["Properties"]
        for res in tpl["Resources"].values()
        if res.get("Type") == "AWS::Serverless::Function"
    }


def own_terms() -> dict[str, str]:
    """function -> why the limit does not apply to it, read from the template: SnapStart (a reader waits
    on it: it starts from a snapshot, and its first invocation is a restore), or the embedding layer
    (it loads a sentence-embedding model on purpose; docs/related.md measures it)."""
    out = {}
    for name, props in _functions(_template()).items():
        if (props.get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions":
            out[name] = "SnapStart"
        elif any(layer == {"Ref": "EmbeddingLayer"} for layer in props.get("Layers", [])):
            out[name] = "embedding model"
    return out


def template_env() -> dict[str, dict[str, str]]:
    """function directory name -> its environment (Globals + own), intrinsics as dummy strings."""
    tpl = _template()
    params = tpl.get("Parameters", {})
    glob = tpl.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    out = {}
    for name, props in _functions(tpl).items():
        variables = {**glob, **props.get("Environment", {}).get("Variables", {})}
        env = {}
        for key, value in variables.items():
            if isinstance(value, dict) and value.get("Ref") in params:  # a parameter: its default
                value = params[value["Ref"]].get("Default", value)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                env[key] = str(value)
            elif key.endswith(("_SECONDS", "_WORKER")):
                env[key] = "0"
            elif key.endswith("_URL"):
                env[key] = "https://sqs.eu-west-1.amazonaws.com/123456789012/dummy"
            else:
                env[key] = f"dummy-{key.lower()}"
        out[name] = env
    return out


def lambda_env(name: str) -> dict[str, str]:
    return {
        "AWS_LAMBDA_FUNCTION_NAME": f"newsdrop-{name}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / name),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "ASIADUMMY",
        "AWS_SECRET_ACCESS_KEY": "dummy",
        "AWS_SESSION_TOKEN": "dummy",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "_HANDLER": "app.handler",
    }


def base_env(
    layer: Path | None = None, sdk: Path | None = None, libraries: Path | None = None
) -> dict[str, str]:
    """The parent's PATH and Python settings only: no AWS variables leak in from this shell. With a
    built layer: the layers (all in /opt/python on Lambda), then the SDK (/var/runtime) on the path."""
    keep = ("PATH", "HOME", "LANG", "PYENV_VERSION", "VIRTUAL_ENV")
    path = (
        [str(layer), *([str(libraries)] if libraries else []), *([str(sdk)] if sdk else [])]
        if layer
        else [str(ROOT / "shared")]
    )
    return {k: v for k, v in os.environ.items() if k in keep} | {"PYTHONPATH": os.pathsep.join(path)}


def without_bytecode(layer: Path) -> Path:
    """A copy of the layer with no .pyc, as shared/Makefile used to ship it (and Lambda's /opt is
    read-only, so every cold start compiles again: PYTHONDONTWRITEBYTECODE keeps that true here)."""
    import shutil
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="layer-nopyc-")) / "python"
    shutil.copytree(layer, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


# "app": the module alone, as the issue measured it. "app+SDK": boto3 imported after the handler, in the
# same process. A module that loads the SDK only when its first client is made pays for it on the first
# invocation anyway; this column keeps that from flattering the ratio: it is what a handler adds to
# the SDK it cannot do without.
HANDLER_IMPORT = "import app; import boto3"
# "first": what the first invocation adds before it touches AWS: the batch processor (Powertools' batch
# utilities) and the function's event model built (newsdrop.event_models: Powertools' Parser models,
# pydantic's schema builder), and the function's sample event (events/) parsed with it. The issue's
# limit applies to this column.
FIRST_INVOCATION = (
    "import app, boto3, json\n"
    "from newsdrop.event_models import FUNCTION_MODELS, parse_for\n"
    "getattr(app.handler, '_build', lambda: None)()\n"
    "if {name!r} in FUNCTION_MODELS: parse_for({name!r}, json.loads(open({sample!r}).read()))"
)
# "+X-Ray": the same, and Powertools' Tracer made as the first traced call makes it on Lambda (the
# template's `Tracing: Active`; newsdrop.observability.LazyTracer): the X-Ray SDK imported and botocore
# patched. The limit names the SDK and pydantic; this column shows what tracing adds on top.
WITH_TRACER = (
    "\nfrom newsdrop.observability import tracer, tracing_enabled\nif tracing_enabled(): tracer.real"
)
LIMIT = 1.6
# What the table lists as each function's libraries: loaded by the end of the first-invocation code.
LIBRARY_MODULES = {"pydantic": "pydantic", "batch": "aws_lambda_powertools.utilities.batch",
                   "PyYAML": "yaml", "Jinja2": "jinja2", "email-validator": "email_validator",
                   "markdown-it": "markdown_it", "nh3": "nh3", "selectolax": "selectolax"}  # fmt: skip


def first_invocation(name: str) -> str:
    samples = sorted((ROOT / "events").glob(f"{name}-*.json")) or sorted(
        (ROOT / "events").glob("s3-put.json")
    )
    return FIRST_INVOCATION.format(name=name, sample=str(samples[0]) if samples else "")


def libraries_loaded(python: str, name: str, env: dict[str, str], cwd: Path) -> str:
    probe = (
        first_invocation(name)
        + f"\nimport sys; print(','.join(k for k, m in {LIBRARY_MODULES!r}.items() if m in sys.modules))"
    )
    out = subprocess.run([python, "-c", probe], env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1].replace(",", ", ") if out.stdout.strip() else ""


def timed(python: str, code: str, env: dict[str, str], cwd: Path) -> float:
    """CPU seconds (user + system) the whole process used: on a shared, loaded machine wall time
    mostly measures the other processes; an import is CPU-bound (files are in the page cache)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([python, "-c", code], env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--smoke", action="store_true", help="1 round, for CI")
    p.add_argument("--python", default=sys.executable, help="interpreter (default: this one)")
    p.add_argument("--only", help="comma-separated function names")
    p.add_argument("--layer", type=Path, help="a built layer's python/ folder instead of shared/")
    p.add_argument("--sdk", type=Path, help="folder with boto3 for --python (Lambda's /var/runtime)")
    p.add_argument(
        "--library-layers",
        type=Path,
        help="the library layers' python/ folder (shared/Makefile builds them); --strip-pyc strips it too",
    )
    p.add_argument(
        "--strip-pyc", action="store_true", help="the layer without its .pyc (see without_bytecode)"
    )
    p.add_argument(
        "--lambda-env-only", action="store_true", help="only the Lambda environment's columns (half the runs)"
    )
    p.add_argument(
        "--instructions",
        action="store_true",
        help="instead of CPU time: instructions executed, counted by valgrind (deterministic, ~50x slower)",
    )
    p.add_argument(
        "--no-xray",
        action="store_true",
        help="with --instructions: the first invocation only (half the runs)",
    )
    p.add_argument(
        "--breakdown", action="store_true", help="also: what each heavy piece adds to boto3 (9+ rounds)"
    )
    args = p.parse_args(argv)
    rounds = 1 if args.smoke else args.rounds
    args.layer = args.layer.resolve() if args.layer else None
    args.sdk = args.sdk.resolve() if args.sdk else None
    layer = without_bytecode(args.layer) if args.layer and args.strip_pyc else args.layer
    libraries = args.library_layers.resolve() if args.library_layers else None
    libraries = without_bytecode(libraries) if libraries and args.strip_pyc else libraries
    extra = {"PYTHONDONTWRITEBYTECODE": "1"} if args.strip_pyc else {}

    envs = template_env()
    exempt = own_terms()
    names = sorted(n for n in envs if (ROOT / "functions" / n / "app.py").exists())
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    if args.instructions and args.breakdown:
        # in a function's environment from the template (its Globals: PYDANTIC_DISABLE_PLUGINS...)
        env = base_env(layer, args.sdk, libraries) | extra | envs[names[0]] | lambda_env("floor")
        return floor(args.python, env)
    if args.instructions:
        return instruction_counts(
            args.python, names, envs, exempt, base_env(layer, args.sdk, libraries) | extra, args.no_xray
        )
    sizes = function_sizes()
    version = subprocess.run([args.python, "-V"], capture_output=True, text=True).stdout.strip()
    where = (
        f"layer {args.layer}{' without .pyc' if args.strip_pyc else ''}" if args.layer else "shared/ (venv)"
    )
    print(f"{rounds} rounds, least CPU of each; {version}; newsdrop from {where}")
    envs_measured = ["Lambda env"] if args.lambda_env_only else ["no env", "Lambda env"]
    columns = [
        f"{e}: app / app+SDK / first / first+X-Ray / boto3, CPU ms | ratio app+SDK | **ratio first** "
        "| ratio first+X-Ray"
        for e in envs_measured
    ]
    print(
        "| function | " + " | ".join(columns) + " | libraries by the end of the first invocation "
        "| deployed unzipped | zipped |"
    )
    print("|---" * (4 + 4 * len(envs_measured)) + "|")
    worst = {"app": 0.0, "app+SDK": 0.0, "first": 0.0, "first+X-Ray": 0.0}
    over = []
    for name in names:
        cells = []
        for with_lambda in (True,) if args.lambda_env_only else (False, True):
            env = base_env(layer, args.sdk, libraries) | extra | envs[name]
            env |= lambda_env(name) if with_lambda else {}
            fdir = ROOT / "functions" / name
            codes = {
                "boto3": "import boto3",
                "app": "import app",
                "app+SDK": HANDLER_IMPORT,
                "first": first_invocation(name),
                "first+X-Ray": first_invocation(name) + WITH_TRACER,
            }
            runs: dict[str, list[float]] = {key: [] for key in codes}
            for _ in range(rounds):  # interleaved, so that a busy moment weighs on every column alike
                for key, code in codes.items():
                    runs[key].append(timed(args.python, code, env, fdir))
            cpu = {key: min(values) for key, values in runs.items()}
            ratio = {key: cpu[key] / cpu["boto3"] for key in codes}
            if name not in exempt:
                for key in worst:
                    worst[key] = max(worst[key], ratio[key])
                if ratio["first"] > LIMIT:
                    over.append(
                        f"{name} ({'Lambda env' if with_lambda else 'no env'}: {ratio['first']:.2f}x)"
                    )
            cells += [
                " / ".join(
                    f"{cpu[key] * 1e3:,.0f}" for key in ("app", "app+SDK", "first", "first+X-Ray", "boto3")
                ),
                f"{ratio['app+SDK']:.2f}x",
                f"**{ratio['first']:.2f}x**",
                f"{ratio['first+X-Ray']:.2f}x",
            ]
        loaded = libraries_loaded(args.python, name, env, fdir)
        raw, packed = sizes.get(name, (None, None))
        size = [f"{raw / 1e6:.1f} MB", f"{packed / 1e6:.1f} MB"] if raw else ["no build", "no build"]
        label = f"{name} (own terms: {exempt[name]})" if name in exempt else name
        print(f"| {label} | " + " | ".join([*cells, loaded, *size]) + " |", flush=True)
    print(
        f"\nworst ratio (own-terms functions aside): import app {worst['app']:.2f}x, import app then boto3"
        f" {worst['app+SDK']:.2f}x, first invocation {worst['first']:.2f}x (limit {LIMIT}x),"
        f" first invocation with X-Ray {worst['first+X-Ray']:.2f}x"
        + (f"; over the limit: {', '.join(over)}" if over else "; every function within the limit")
    )
    if not sizes:
        print("sizes: no `sam build` output in .aws-sam/build (run `make deploy-checks`)")
    if libraries and not args.strip_pyc:
        library_bytecode(args.python, args.library_layers.resolve(), rounds)
    if args.breakdown:
        breakdown(args.python, base_env(layer, args.sdk, libraries) | extra, max(rounds, 9))
    return 0


def instructions(python: str, code: str, env: dict[str, str], cwd: Path) -> int:
    """Instructions the whole process executed, counted by valgrind's callgrind: the same on a busy
    machine as on an idle one, where CPU time is not (other processes evict the caches it relies on)."""
    import re

    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def instruction_counts(
    python: str,
    names: list[str],
    envs: dict[str, dict[str, str]],
    exempt: dict[str, str],
    base: dict[str, str],
    no_xray: bool = False,
) -> int:
    """The first invocation (with and without the X-Ray Tracer) of each function in the Lambda
    environment, in instructions, against a bare ``import boto3`` in the same environment."""
    from concurrent.futures import ThreadPoolExecutor

    # `import boto3` once, in the first function's environment: its count does not depend on the
    # function (the same to a few thousand instructions in each), and it is a third of the runs.
    jobs = [(names[0], "boto3", "import boto3")] + [
        (name, key, code)
        for name in names
        for key, code in (
            ("first", first_invocation(name)),
            *(() if no_xray else [("first+X-Ray", first_invocation(name) + WITH_TRACER)]),
        )
    ]

    def count(job: tuple[str, str, str]) -> int:
        name, _, code = job
        return instructions(python, code, base | envs[name] | lambda_env(name), ROOT / "functions" / name)

    pool = ThreadPoolExecutor(max_workers=2)  # the machine is shared: two at a time
    results = iter(zip([(n, k) for n, k, _ in jobs], pool.map(count, jobs), strict=True))
    counted = dict([next(results)])  # boto3 first; each function's row is printed as soon as it is counted
    traced_head = "" if no_xray else " first+X-Ray /"
    print(
        f"| function | **ratio first** | first /{traced_head} boto3, millions of instructions |"
        + ("" if no_xray else " ratio first+X-Ray |")
    )
    print("|---|---|---|" + ("" if no_xray else "---|"))
    over = []
    for name in names:
        counted |= dict(next(results) for _ in range(1 if no_xray else 2))
        first, bare = counted[name, "first"], counted[names[0], "boto3"]
        traced = None if no_xray else counted[name, "first+X-Ray"]
        label = f"{name} (own terms: {exempt[name]})" if name in exempt else name
        if name not in exempt and first / bare > LIMIT:
            over.append(f"{name} ({first / bare:.3f}x)")
        counts = " / ".join(f"{n / 1e6:,.0f}" for n in (first, traced, bare) if n is not None)
        print(
            f"| {label} | **{first / bare:.2f}x** | {counts} |"
            + ("" if traced is None else f" {traced / bare:.2f}x |"),
            flush=True,
        )
    pool.shutdown()
    print(f"\nover the limit ({LIMIT}x): {', '.join(over) or 'none'}")
    return 0


# What a handler adds to boto3, piece by piece: each imported after boto3 in a fresh process.
PIECES = {
    "newsdrop's records (dataclasses; pydantic models until 2026-11-30)": "import newsdrop.models",
    "Powertools Logger and Metrics (newsdrop.observability)": "import newsdrop.observability",
    "pydantic, with its first model defined": "import pydantic\nclass M(pydantic.BaseModel):\n    n: int",
    "Powertools' batch utilities (first invocation)": "import aws_lambda_powertools.utilities.batch",
    "a stream record model (newsdrop.event_models.stream_record)": (
        "from newsdrop.event_models import stream_record\nstream_record()"
    ),
    "a queue record model (queue_record(FanoutTask))": (
        "from newsdrop.event_models import queue_record\nfrom newsdrop.notify.messages import FanoutTask\n"
        "queue_record(FanoutTask)"
    ),
    "Jinja2": "import jinja2",
    "email-validator": "import email_validator",
    "PyYAML": "import yaml",
    "the tagger": "import newsdrop.ingest.tagging",
    "ingest's parsers (PyYAML, the tagger, the records)": "import newsdrop.ingest.parsing",
}


def breakdown(python: str, env: dict[str, str], rounds: int) -> None:
    sdk = "import boto3, boto3.dynamodb.conditions"
    bare = min(timed(python, sdk, env, ROOT) for _ in range(rounds))
    print(f"\n| piece | CPU ms over `{sdk}` ({bare * 1e3:,.0f} ms) |\n|---|---|")
    for label, code in PIECES.items():
        with_piece = min(timed(python, f"{sdk}\n{code}", env, ROOT) for _ in range(rounds))
        print(f"| {label} | {(with_piece - bare) * 1e3:+,.0f} |", flush=True)


# What every function's first invocation pays before its own code, in instructions over a bare
# `import boto3` (`--instructions --breakdown`): the floor under the limit.
FLOOR = {
    "Powertools' Logger and Metrics (newsdrop.observability)": "import newsdrop.observability",
    "pydantic, with its first model defined": "import pydantic\nclass M(pydantic.BaseModel):\n    n: int",
    "Powertools' Parser (`parse`), nothing built": "from aws_lambda_powertools.utilities.parser import parse",
    "Powertools' SQS record model": "from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel",
    "Powertools' DynamoDB stream record model": (
        "from aws_lambda_powertools.utilities.parser.models.dynamodb import DynamoDBStreamRecordModel"
    ),
    "SQS record model, then the batch utilities as Powertools imports them": (
        "from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel\n"
        "import aws_lambda_powertools.utilities.batch"
    ),
    "SQS record model, then newsdrop.partial_batch (what the consumers use instead)": (
        "from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel\n"
        "import newsdrop.partial_batch"
    ),
    "a queue consumer before its own code: Logger and Metrics, fan-out's record model, its sample parsed": (
        "import json\nimport newsdrop.observability\nfrom newsdrop.event_models import parse_for\n"
        f"parse_for('fanout', json.loads(open({str(ROOT / 'events' / 'fanout-task.json')!r}).read()))"
    ),
    "ten dataclasses of four fields (what the domain modules define at import)": "\n".join(
        f"@dataclasses.dataclass\nclass C{i}:\n    a: int\n    b: str = ''\n    c: float = 0.0\n    d: list = None"
        for i in range(10)
    ).join(["import dataclasses\n", ""]),
    "Powertools' Tracer, every library X-Ray supports patched": "from aws_lambda_powertools import Tracer\nTracer()",
    "Powertools' Tracer, botocore patched (newsdrop.observability)": (
        "from aws_lambda_powertools import Tracer\nTracer(patch_modules=['botocore'])"
    ),
}


def floor(python: str, env: dict[str, str]) -> int:
    from concurrent.futures import ThreadPoolExecutor

    codes = ["import boto3", *(f"import boto3\n{code}" for code in FLOOR.values())]
    with ThreadPoolExecutor(max_workers=2) as pool:
        bare, *counts = pool.map(lambda code: instructions(python, code, env, ROOT), codes)
    print(f"| piece | instructions over `import boto3` ({bare / 1e6:,.0f} M) | share of `import boto3` |")
    print("|---|---|---|")
    for label, count in zip(FLOOR, counts, strict=True):
        print(f"| {label} | {(count - bare) / 1e6:+,.0f} M | {(count - bare) / bare:+.2f}x |", flush=True)
    return 0


LIBRARIES = {"jinja2": "TemplatingLayer", "email_validator": "AddressValidationLayer",
             "markdown_it": "BodyLibrariesLayer", "nh3": "BodyLibrariesLayer",
             "selectolax.lexbor": "BodyLibrariesLayer"}  # fmt: skip


def library_bytecode(python: str, libraries: Path, rounds: int) -> None:
    """What the library layers' .pyc save on the first use of each library (the handlers import them
    lazily, so this cost lands on the first render, validation or sanitizing of a container): the
    library imported from the built layer against the same files without .pyc, as SAM's python builder
    would ship them to the read-only /var/task."""
    stripped = without_bytecode(libraries)
    print("\n| library (layer) | import with .pyc, CPU ms | without .pyc |\n|---|---|---|")
    for module, layer in LIBRARIES.items():
        cells = []
        for folder in (libraries, stripped):
            env = base_env(folder) | {"PYTHONDONTWRITEBYTECODE": "1"}
            cells.append(min(timed(python, f"import {module}", env, ROOT) for _ in range(rounds)))
        print(f"| {module} ({layer}) | {cells[0] * 1e3:,.0f} | {cells[1] * 1e3:,.0f} |", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
