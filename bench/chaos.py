"""Chaos bench: drop articles to subscribers on the local stack while a fraction of the functions'
DynamoDB, S3, SQS and SES calls fail and some invocations die; report the invariants per fault rate.

    .venv/bin/python bench/chaos.py                      # default sweep (see --help)
    .venv/bin/python bench/chaos.py --articles 300 --subscribers 3000 --rates 0.05

Articles come from the BBC corpus beside the checkout (../shared/data/bbc-news.jsonl, read in place,
never copied) when it is there, else made-up text. Each configuration runs in a fresh in-process moto.
Faults hit each HTTP request under the SDK's retries (``--layer request``, default) or each API call
above them (``--layer call``); see newsdrop/local/faults.py. "no operator" is after the event sources'
own retries and RedriverFunction's scheduled runs (every 10 minutes, at most 3 trips per dead letter)
settle; "operator" (printed only if something is still in a DLQ) is after an operator's redrive of
every dead-letter queue. A rate "survives" when every invariant holds with no operator.

    .venv/bin/python bench/chaos.py --smoke              # CI: 4 articles, 40 readers, 5%
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BBC = ROOT.parent / "shared" / "data" / "bbc-news.jsonl"


def bbc_files(n: int):
    from newsdrop.local.generated import DropFile

    files, base = [], datetime(2025, 6, 1, 8, tzinfo=UTC)
    with BBC.open() as f:
        rows = [json.loads(line) for line, _ in zip(f, range(10**6), strict=False)]
    # spread over the categories: every k-th row
    step = max(1, len(rows) // max(n, 1))
    for i, row in enumerate(rows[::step][:n]):
        date = (base + timedelta(hours=i)).isoformat()
        title = row["title"].replace('"', "'")
        body = f'---\ntitle: "{title}"\ndate: {date}\ntags: {row["category"]}\n---\n\n{row["body"]}\n'
        files.append(DropFile(name=f"bbc/{i:05d}.md", body=body.encode()))
    return files


def run_one(args, rate: float, seed: int) -> dict:
    from newsdrop.local.audience import prepare_mail
    from newsdrop.local.chaos import CHAOS_ENV, ChaosScenario
    from newsdrop.local.faults import FaultInjector
    from newsdrop.local.generated import (
        TOPICS,
        generated_articles,
        generated_bad_files,
        published_order,
        readers,
    )
    from newsdrop.local.pipeline import EVERY_ARTICLE_IS_NEWS, LOCAL_PARAMETERS, embedded_aws
    from newsdrop.local.stack import LocalStack

    started = time.perf_counter()
    corpus = "bbc" if BBC.exists() and not args.generated else "generated"
    good = bbc_files(args.articles) if corpus == "bbc" else generated_articles(args.articles, seed=seed)
    topics = ["business", "entertainment", "politics", "sport", "tech"] if corpus == "bbc" else sorted(TOPICS)
    files = published_order(good + generated_bad_files(args.bad, seed=seed))
    with embedded_aws():
        stack = LocalStack(
            ROOT, env_overrides=CHAOS_ENV, parameters=LOCAL_PARAMETERS | EVERY_ARTICLE_IS_NEWS
        ).deploy()
        prepare_mail(stack)
        injector = FaultInjector(
            rate, kill_rate=args.kill_rate if rate > 0 else 0.0, seed=seed, layer=args.layer
        )
        scenario = ChaosScenario(stack, injector)
        scenario.seed_subscribers(
            readers(args.subscribers, topics, seed=seed, everything_share=args.everything)
        )
        scenario.drop(files, burst=args.burst)
        if not args.no_auto_redrive:
            scenario.heal()
        before = scenario.check()
        moved = scenario.redrive() if not args.no_redrive else 0
        after = scenario.check() if moved else before
        injector.uninstall()
    return {
        "rate": rate,
        "kill_rate": injector.kill_rate,
        "corpus": corpus,
        "faults": injector.stats.faults,
        "retries": injector.stats.retries,
        "backoff_s": injector.stats.backoff_seconds,
        "calls": sum(injector.stats.calls.values()),
        "kills": injector.stats.kills,
        "invocations": injector.stats.invocations,
        "redriven": moved,
        "before": before,
        "after": after,
        "seconds": time.perf_counter() - started,
        "redrive_rounds": scenario.redrive_rounds,
        "redriver_runs": scenario.redriver_runs,
        "auto_redriven": scenario.auto_redriven,
        "waited": scenario.dispatcher.stats.waited,  # local-clock seconds skipped, not slept
        "invocations_by_function": dict(scenario.dispatcher.stats.by_function),
        "injected": dict(injector.stats.injected),
        "killed": dict(injector.stats.killed),
    }


def row(r: dict, which: str, label: str) -> str:
    o = r[which]
    return (
        f"| {r['rate']:.2f} | {label} | {r['auto_redriven']} | {r['faults']}/{r['calls']} | {r['kills']} | {o.stored}/{o.quarantined}/"
        f"{len(o.lost)} | {o.related_equal}/{o.related_total} | {o.emails_expected}/{o.emails_sent}/"
        f"{len(o.duplicates)} ({o.duplicates_in_window})/{len(o.missing)} | {o.dlq_total} | "
        f"{'yes' if o.ok else 'NO'} | {r['seconds']:.0f} |"
    )


HEADER = (
    "| fault rate | when | auto-redriven | faults/calls | killed | stored/quarantined/lost | related = reindex | "
    "emails expected/sent/dup (in window)/missing | left in DLQs | all hold | s |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=int, default=12, help="good articles dropped (default 12)")
    p.add_argument("--bad", type=int, default=3, help="files that must be quarantined (default 3)")
    p.add_argument("--subscribers", type=int, default=1000, help="confirmed subscribers (default 1000)")
    p.add_argument("--everything", type=float, default=0.02, help="share following everything")
    p.add_argument("--rates", default="0,0.01,0.05,0.1,0.2", help="comma-separated fault rates")
    p.add_argument("--kill-rate", type=float, default=0.02, help="share of invocations killed (rate > 0)")
    p.add_argument("--burst", type=int, default=10, help="files uploaded between pumps")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--generated", action="store_true", help="made-up text even if the BBC corpus is there")
    p.add_argument("--no-redrive", action="store_true", help="report before any operator redrive only")
    p.add_argument(
        "--no-auto-redrive", action="store_true", help="leave RedriverFunction's schedule out (as before it)"
    )
    p.add_argument(
        "--layer",
        choices=("request", "call"),
        default="request",
        help="where faults hit: each HTTP request, under the SDK's retries (default), or each API call "
        "above them (every fault reaches the code)",
    )
    p.add_argument("--smoke", action="store_true", help="smallest run, for CI: 4 articles, 40 readers, 5%%")
    args = p.parse_args(argv)
    if args.smoke:
        args.articles, args.bad, args.subscribers, args.rates = 4, 1, 40, "0.05"
    logging.disable(logging.CRITICAL)  # the functions log every injected failure; the table is the output

    results = []
    print(HEADER, flush=True)
    for rate in [float(x) for x in args.rates.split(",")]:
        r = run_one(args, rate, args.seed)
        results.append(r)
        print(row(r, "before", "no operator"), flush=True)
        if r["redriven"]:
            print(row(r, "after", "operator"), flush=True)
        diag = {
            "redriven": r["redriven"],
            "redriver_runs": r["redriver_runs"],
            "auto_redriven": r["auto_redriven"],
            "redrive_rounds": r["redrive_rounds"],
            "dlq_before": {k: v for k, v in r["before"].dead_letters.items() if v},
            "dlq_after": {k: v for k, v in r["after"].dead_letters.items() if v},
            "lost": r["before"].lost[:3],
            "related_diff_after": r["after"].related_diff[:3],
            "missing_after": r["after"].missing[:3],
            "killed": r["killed"],
            "sdk_retries": r["retries"],
            "backoff_s": round(r["backoff_s"]),
            "clock_moved_s": round(r["waited"]),
            "invocations": r["invocations_by_function"],
        }
        print(f"<!-- {json.dumps(diag)} -->", file=sys.stderr, flush=True)
    survived = [r["rate"] for r in results if r["after"].ok]
    clean = [r["rate"] for r in results if r["before"].ok]
    print(
        f"\nfaults per {args.layer}; all invariants hold with no operator at rates {clean or 'none'}; "
        f"with an operator's redrive at {survived or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
