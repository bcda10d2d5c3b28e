"""The ``stripe-netsuite`` command."""

from __future__ import annotations

import typer

app = typer.Typer(help="Sync Stripe and NetSuite.", no_args_is_help=True, add_completion=False)
sandbox_app = typer.Typer(help="Run an emulator of Stripe or NetSuite on loopback.")
app.add_typer(sandbox_app, name="sandbox")

_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


@sandbox_app.command("netsuite", context_settings=_PASS_THROUGH, add_help_option=False)
def sandbox_netsuite(ctx: typer.Context) -> None:
    """Run the NetSuite sandbox (--help for its flags)."""
    from stripe_netsuite.sandbox.netsuite import command

    command.main(list(ctx.args))


@sandbox_app.command("stripe", context_settings=_PASS_THROUGH, add_help_option=False)
def sandbox_stripe(ctx: typer.Context) -> None:
    """Run the Stripe sandbox (--help for its flags)."""
    from stripe_netsuite.sandbox.stripe import command

    command.main(list(ctx.args))


def main() -> None:
    """Console-script entry point."""
    app()
