"""``dealsync emulator serve``: the local Salesforce + HubSpot emulator, for trying dealsync and for tests."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated

import typer

from dealsync.cli.context import EXIT_USAGE, ctx_obj, fail
from dealsync.emulator.faults import PROFILES, FaultSettings

if TYPE_CHECKING:
    from dealsync.emulator import EmulatorHandle

emulator_app = typer.Typer(help="The local CRM emulator.", no_args_is_help=True)


def connection_snippet(handle: EmulatorHandle) -> str:
    """A config fragment that points dealsync at this emulator."""
    creds = handle.credentials
    return (
        "connections:\n"
        "  - name: sf-emulator\n"
        "    type: salesforce\n"
        f"    instance_url: {handle.salesforce_url}\n"
        f"    login_url: {handle.salesforce_url}\n"
        f"    ca_bundle: {handle.ca_bundle}\n"
        f"    auth: {{access_token: {creds.salesforce_token}}}\n"
        "  - name: hs-emulator\n"
        "    type: hubspot\n"
        f"    base_url: {handle.hubspot_url}\n"
        f"    auth: {{access_token: {creds.hubspot_token}}}\n"
    )


@emulator_app.command("serve")
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Salesforce port; HubSpot uses the next. 0 picks free ports.")] = 0,
    deals: Annotated[int, typer.Option(min=0, help="Deals per CRM.")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 42,
    faults: Annotated[str, typer.Option(help=f"Fault profile: {', '.join(PROFILES)}.")] = "none",
    hubspot_limit: Annotated[
        int, typer.Option(min=1, help="HubSpot requests per rolling 10 s (enforced with rate-limit faults).")
    ] = 100,
) -> None:
    """Serve both CRM APIs on loopback until interrupted."""
    from dealsync.emulator import run_emulator

    app = ctx_obj(ctx)
    if faults not in PROFILES:
        fail(f"--faults {faults!r} is not a fault profile; use one of: {', '.join(PROFILES)}", EXIT_USAGE)
    settings = FaultSettings(profile=faults, seed=seed, hubspot_window_limit=hubspot_limit)
    with run_emulator(deals=deals, seed=seed, port=port, fault_settings=settings) as handle:
        info = {
            "salesforce_url": handle.salesforce_url,
            "hubspot_url": handle.hubspot_url,
            "ca_bundle": str(handle.ca_bundle),
            "deals_per_crm": deals,
            "seed": seed,
            "faults": faults,
            "stats_url": f"{handle.hubspot_url}/__emulator/stats",
        }
        if app.json_output:
            app.emit_json(info)
        else:
            app.console.print(f"Salesforce (HTTPS): [bold]{handle.salesforce_url}[/]  CA bundle: {handle.ca_bundle}")
            app.console.print(f"HubSpot (HTTP):     [bold]{handle.hubspot_url}[/]")
            app.console.print(f"{deals} deals per CRM, seed {seed}, faults {faults}. Stats: {info['stats_url']}")
            app.console.print(
                "Config for these emulated CRMs:\n" + connection_snippet(handle), highlight=False, markup=False
            )
            app.console.print("Press Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            app.console.print("Emulator stopped.")
