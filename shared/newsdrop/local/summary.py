"""The readable summary of `newsdrop run`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def print_summary(result: dict[str, Any]) -> None:
    console = Console()
    articles = Table(title="Articles", show_lines=True)
    for column in ("article", "tags", "related posts"):
        articles.add_column(column, overflow="fold")
    for a in result["articles"]:
        tags = " ".join(f"#{t}" for t in a["tags"])
        auto = " ".join(f"#{t}" for t in a["auto_tags"])
        related = "\n".join(f"• {r['title']}" for r in a["related"]) or (
            "(none relevant)" if a.get("state", "published") == "published" else "(not public: in no list)"
        )
        head = f"[bold]{a['title']}[/bold]\n{a['author'] or 'unknown author'} · {a['reading_minutes']} min\n{a['slug']}"
        head += f"\n[italic]{lifecycle_line(a)}[/italic]"
        articles.add_row(head, f"{tags}\n[dim]auto: {auto}[/dim]", related)
    console.print(articles)

    rejected = [d for d in result["drops"] if d["status"] == "rejected"]
    if rejected:
        table = Table(title="Rejected (kept in quarantine)")
        for column in ("file", "reason", "detail", "kept as"):
            table.add_column(column, overflow="fold")
        for d in rejected:
            table.add_row(d["source"], d["reason"], d.get("detail") or "", d["quarantined_as"])
        console.print(table)

    if result.get("schedules"):
        table = Table(title="Scheduled (fire when the clock passes them; `--now` moves it)")
        for column in ("article", "does", "at"):
            table.add_column(column, overflow="fold")
        for s in result["schedules"]:
            table.add_row(s["slug"] or s["name"], s["action"] or "", s["at"])
        console.print(table)

    counts: dict[str, int] = {}
    for d in result["drops"]:
        counts[d["status"]] = counts.get(d["status"], 0) + 1
    console.print(
        f"{len(result['drops'])} files dropped: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        + f"; {len(result['emails'])} emails sent."
    )


def lifecycle_line(article: dict[str, Any]) -> str:
    line = article.get("state", "published")
    if article.get("publish_at"):
        line += f" · public {'from' if line == 'scheduled' else 'since'} {article['publish_at']}"
    if article.get("expires_at"):
        line += f" · expires {article['expires_at']}"
    if article.get("notify") is False:
        line += " · no email"
    return line
