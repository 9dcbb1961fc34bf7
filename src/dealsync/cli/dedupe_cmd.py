"""``dealsync dedupe``: record, forget and list "not a duplicate" decisions; every later audit respects them."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from dealsync.canonical import DealRef
from dealsync.cli.context import EXIT_USAGE, ctx_obj, exit_codes, fail
from dealsync.store import NotDuplicate, Store, open_store

PAIR_HELP = "Two deals as CONNECTION:ID CONNECTION:ID (ids as `dealsync audit` shows them)."


def parse_ref(text: str) -> DealRef:
    """``sf-main:006A`` -> DealRef; the id may itself contain colons."""
    connection, sep, deal_id = text.partition(":")
    if not sep or not connection or not deal_id:
        fail(f"{text!r} is not a deal reference; write CONNECTION:ID, e.g. sf-main:0065g00000AbCdE", EXIT_USAGE)
    return DealRef(connection=connection, id=deal_id)


def dedupe(
    ctx: typer.Context,
    not_duplicate: Annotated[
        tuple[str, str] | None, typer.Option("--not-duplicate", metavar="CONN:ID CONN:ID", help=PAIR_HELP)
    ] = None,
    forget: Annotated[
        tuple[str, str] | None,
        typer.Option("--forget", metavar="CONN:ID CONN:ID", help="Undo a 'not a duplicate' decision. " + PAIR_HELP),
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why they are different deals (kept with the decision).")] = None,
) -> None:
    """Mark two deals as "not a duplicate" (audits never cluster them again), forget such a decision, or list them.

    Without options, lists the decisions recorded so far.
    """
    app = ctx_obj(ctx)
    if not_duplicate is not None and forget is not None:
        fail("give either --not-duplicate or --forget, not both", EXIT_USAGE)
    with exit_codes():
        settings = app.settings()
        with open_store(settings.store) as store:
            if not_duplicate is not None:
                a, b = _pair(store, not_duplicate)
                store.record_not_duplicate(a, b, note=note)
                message = f"Recorded: {a} and {b} are not duplicates; the next audit keeps them apart."
            elif forget is not None:
                a, b = (parse_ref(t) for t in forget)
                known = store.forget_not_duplicate(a, b)
                message = f"Forgot the decision on {a} and {b}." if known else f"No decision on {a} and {b} to forget."
            else:
                message = ""
            decisions = store.not_duplicates()
    if app.json_output:
        app.emit_json({"message": message or None, "not_duplicates": [_decision_json(d) for d in decisions]})
        return
    if message:
        app.console.print(message, markup=False, highlight=False, soft_wrap=True)
    else:
        app.console.print(_decisions_table(decisions))


def _pair(store: Store, texts: tuple[str, str]) -> tuple[DealRef, DealRef]:
    a, b = (parse_ref(t) for t in texts)
    if a == b:
        fail(f"{a} twice: give two different deals", EXIT_USAGE)
    missing = [str(r) for r in (a, b) if r not in store.get_deals([a, b])]
    if missing:
        fail(
            f"no deal {' or '.join(missing)} in the store; check CONNECTION:ID (`dealsync audit` lists them)",
            EXIT_USAGE,
        )
    return a, b


def _decision_json(decision: NotDuplicate) -> dict[str, Any]:
    return {
        "a": {"connection": decision.a.connection, "id": decision.a.id},
        "b": {"connection": decision.b.connection, "id": decision.b.id},
        "decided_at": decision.decided_at.isoformat(),
        "note": decision.note,
    }


def _decisions_table(decisions: list[NotDuplicate]) -> Table:
    table = Table(title=f"'Not a duplicate' decisions ({len(decisions)})")
    for column in ("deal", "deal", "decided (UTC)", "note"):
        table.add_column(column, overflow="fold")
    for d in decisions:
        table.add_row(Text(str(d.a)), Text(str(d.b)), d.decided_at.strftime("%Y-%m-%d %H:%M"), Text(d.note or ""))
    return table
