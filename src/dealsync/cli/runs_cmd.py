"""``dealsync runs`` and ``dealsync runs show RUN_ID``: past runs with their summary, findings, clusters and writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from dealsync.cli.context import EXIT_USAGE, AppContext, ctx_obj, exit_codes, fail
from dealsync.store import DedupeCluster, FlagRecord, JournalEntry, Run, RunKind, Store, open_store
from dealsync.sync.audit import stable_cluster_id
from dealsync.sync.audit_result import SEVERITY_ORDER

runs_app = typer.Typer(help="Past runs (pull, audit, sync, rollback) and what each did.")
_KINDS = ", ".join(k.value for k in RunKind)
WIDE = 140  # terminal columns from which cluster reasons are shown


@runs_app.callback(invoke_without_command=True)
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="How many runs, newest first.")] = 20,
    kind: Annotated[str | None, typer.Option(help=f"Only runs of this kind: {_KINDS}.")] = None,
) -> None:
    """List past runs, newest first (``dealsync runs show RUN_ID`` for one run's details)."""
    if ctx.invoked_subcommand is not None:
        return
    app = ctx_obj(ctx)
    if kind is not None and kind not in {k.value for k in RunKind}:
        fail(f"--kind {kind!r} is not a run kind; use one of: {_KINDS}", EXIT_USAGE)
    with exit_codes():
        settings = app.settings()
        with open_store(settings.store) as store:
            found = store.list_runs(kind=None if kind is None else RunKind(kind), limit=limit)
    if app.json_output:
        app.emit_json({"runs": [run_json(r) for r in found]})
        return
    if not found:
        app.console.print("No runs yet: `dealsync pull` then `dealsync audit` record the first ones.")
        return
    app.console.print(runs_table(found))


@runs_app.command("show")
def show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id, or a unique prefix of one.")],
    limit: Annotated[int, typer.Option(min=1, help="Findings, clusters and writes to list in the tables.")] = 50,
) -> None:
    """One run: its summary, and the findings and duplicate clusters of an audit, or the writes of a sync."""
    app = ctx_obj(ctx)
    with exit_codes():
        settings = app.settings()
        with open_store(settings.store) as store:
            run = find_run(store, run_id)
            flags = store.flags_for_run(run.id)
            clusters = store.clusters_for_run(run.id)
            writes = store.journal_for_run(run.id)
    if app.json_output:
        app.emit_json(
            {
                "run": run_json(run),
                "flags": [_flag_json(f) for f in flags],
                "duplicates": [_cluster_json(c) for c in clusters],
                "writes": [_write_json(w) for w in writes],
            }
        )
        return
    _print_run(app, run, flags, clusters, writes, limit)


def find_run(store: Store, run_id: str) -> Run:
    """The run with this id, or the only one whose id starts with it; otherwise a usage error."""
    run = store.get_run(run_id)
    if run is not None:
        return run
    matches = [r for r in store.list_runs(limit=None) if r.id.startswith(run_id)] if run_id else []
    if not matches:
        fail(f"no run {run_id!r} in the store; `dealsync runs` lists the runs", EXIT_USAGE)
    if len(matches) > 1:
        fail(f"run id prefix {run_id!r} matches {len(matches)} runs; give more of the id", EXIT_USAGE)
    return matches[0]


def run_json(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind.value,
        "status": run.status.value,
        "started_at": run.started_at.isoformat(),
        "finished_at": None if run.finished_at is None else run.finished_at.isoformat(),
        "dry_run": run.dry_run,
        "summary": run.summary,
        "error": run.error,
    }


def runs_table(found: list[Run], *, short_ids: bool = True) -> Table:
    """One row per run; ids cut to their first 8 characters (``runs show`` takes a prefix) unless told not to."""
    table = Table(
        title="Runs (newest first)", caption="RUN_ID prefixes work with `dealsync runs show`" if short_ids else None
    )
    table.add_column("id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("seconds", justify="right", no_wrap=True)
    table.add_column("summary", overflow="fold")
    for run in found:
        seconds = "" if run.finished_at is None else f"{(run.finished_at - run.started_at).total_seconds():.1f}"
        status = run.status.value + (" (dry run)" if run.dry_run else "")
        table.add_row(
            run.id[:8] if short_ids else run.id,
            run.kind.value,
            Text(status, style=_STATUS_STYLE.get(run.status.value, "")),
            run.started_at.strftime("%Y-%m-%d %H:%M"),
            seconds,
            Text(summary_text(run)),
        )
    return table


def run_card(run: Run) -> Table:
    """One run as field/value lines (fits a narrow terminal, unlike a one-row table)."""
    card = Table.grid(padding=(0, 2))
    card.add_column(style="bold", no_wrap=True)
    card.add_column(overflow="fold")
    finished = "-" if run.finished_at is None else run.finished_at.strftime("%Y-%m-%d %H:%M:%S")
    rows = [
        ("run", run.id),
        ("kind", run.kind.value + (" (dry run)" if run.dry_run else "")),
        ("status", run.status.value),
        ("started (UTC)", run.started_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("finished (UTC)", finished),
        ("summary", summary_text(run) or "-"),
    ]
    for name, value in rows:
        card.add_row(name, Text(value, style=_STATUS_STYLE.get(value, "") if name == "status" else ""))
    return card


_STATUS_STYLE = {"ok": "green", "failed": "red", "partial": "yellow", "running": "cyan"}


def summary_text(run: Run) -> str:
    """One line: an audit's counts, else the summary's plain values; the error of a failed run."""
    summary: Mapping[str, Any] = run.summary or {}
    if run.kind is RunKind.AUDIT and "deals" in summary:
        text = (
            f"{summary.get('deals', 0):,} deals, {summary.get('flags', 0):,} findings, "
            f"{summary.get('duplicate_clusters', 0):,} duplicate clusters"
        )
    else:
        text = ", ".join(f"{k}={v}" for k, v in summary.items() if isinstance(v, str | int | float | bool))
    return f"{text}; error: {run.error}" if run.error else text


def _print_run(
    app: AppContext,
    run: Run,
    flags: list[FlagRecord],
    clusters: list[DedupeCluster],
    writes: list[JournalEntry],
    limit: int,
) -> None:
    console = app.console
    console.print(run_card(run))
    if run.kind is RunKind.AUDIT:
        console.print(_flags_table(flags, limit))
        console.print(_clusters_table(clusters, limit, wide=console.width >= WIDE))
    if writes or run.kind in (RunKind.SYNC, RunKind.ROLLBACK):
        console.print(_writes_table(writes, limit))


def _flags_table(flags: list[FlagRecord], limit: int) -> Table:
    ordered = sorted(flags, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.rule, str(f.ref)))
    table = Table(title=f"Findings ({min(limit, len(flags))} of {len(flags):,}, most severe first)")
    table.add_column("severity", no_wrap=True)
    table.add_column("rule / deal", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for flag in ordered[:limit]:
        table.add_row(Text(flag.severity), Text(f"{flag.rule}\n{flag.ref}"), Text(flag.detail))
    return table


def _clusters_table(clusters: list[DedupeCluster], limit: int, *, wide: bool) -> Table:
    """Clusters, most confident first; their reasons only on a wide terminal (``--json`` has them all)."""
    table = Table(title=f"Duplicate clusters ({min(limit, len(clusters))} of {len(clusters):,})")
    table.add_column("cluster / confidence", no_wrap=True)
    table.add_column("members", no_wrap=True)
    table.add_column("golden name", overflow="fold")
    if wide:
        table.add_column("reasons", overflow="fold")
    for cluster in clusters[:limit]:
        cells: list[Text] = [
            Text(f"{stable_cluster_id(cluster.id)}\n{cluster.confidence:.2f}"),
            Text("\n".join(str(m) for m in cluster.members)),
            Text(str(cluster.golden.get("name") or "")),
        ]
        table.add_row(*cells, *([Text("; ".join(cluster.reasons))] if wide else []))
    return table


def _writes_table(writes: list[JournalEntry], limit: int) -> Table:
    table = Table(title=f"Writes ({min(limit, len(writes))} of {len(writes):,})")
    for column in ("deal", "field", "before", "after", "state", "error"):
        table.add_column(column, overflow="fold")
    for entry in writes[:limit]:
        table.add_row(
            Text(str(entry.ref)),
            Text(entry.field),
            Text(str(entry.before)),
            Text(str(entry.after)),
            entry.state.value,
            Text(entry.error or ""),
        )
    return table


def _flag_json(flag: FlagRecord) -> dict[str, Any]:
    ref = flag.ref
    return {
        "connection": ref.connection,
        "id": ref.id,
        "rule": flag.rule,
        "severity": flag.severity,
        "detail": flag.detail,
    }


def _cluster_json(cluster: DedupeCluster) -> dict[str, Any]:
    return {
        "cluster_id": stable_cluster_id(cluster.id),
        "confidence": cluster.confidence,
        "members": [{"connection": m.connection, "id": m.id} for m in cluster.members],
        "golden": cluster.golden,
        "reasons": list(cluster.reasons),
    }


def _write_json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "connection": entry.ref.connection,
        "deal_id": entry.ref.id,
        "field": entry.field,
        "before": entry.before,
        "after": entry.after,
        "state": entry.state.value,
        "error": entry.error,
    }
