"""The ``stripe-netsuite-sandbox`` command: the demo and each emulator on its own."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Emulators of Stripe and NetSuite on loopback, and the demo that runs the engine on them.",
    no_args_is_help=True,
    add_completion=False,
)

_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


@app.command(context_settings={"allow_extra_args": False})
def demo(
    once: Annotated[bool, typer.Option(help="Exit when everything is synced")] = False,
    scenario: Annotated[
        list[Path] | None, typer.Option(help="Stripe CLI trigger files to replay instead")
    ] = None,
    export: Annotated[
        Path | None, typer.Option(help="Write stripe.json and netsuite.json here")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated business")] = 7,
    database_url: Annotated[
        str | None, typer.Option(help="Engine database (default: a SQLite file in a temp dir)")
    ] = None,
) -> None:
    """Start both sandboxes and the engine, create a business in Stripe, sync it, report."""
    from stripe_netsuite_sandbox import demo as demo_module

    logging.basicConfig(level=logging.WARNING)
    code = demo_module.run(
        once=once,
        scenarios=list(scenario or []),
        export=export,
        seed=seed,
        database_url=database_url,
    )
    raise typer.Exit(code=code)


@app.command("netsuite", context_settings=_PASS_THROUGH, add_help_option=False)
def netsuite(ctx: typer.Context) -> None:
    """Run the NetSuite sandbox (--help for its flags)."""
    from stripe_netsuite_sandbox.netsuite import command

    command.main(list(ctx.args))


@app.command("stripe", context_settings=_PASS_THROUGH, add_help_option=False)
def stripe(ctx: typer.Context) -> None:
    """Run the Stripe sandbox (--help for its flags)."""
    from stripe_netsuite_sandbox.stripe import command

    command.main(list(ctx.args))


def main() -> None:
    """Console-script entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        app()
