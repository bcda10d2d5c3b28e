"""The ``stripe-netsuite`` command: the edge where settings and config are read."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stripe_netsuite import logs
from stripe_netsuite.credentials import SecretResolver, redact_url
from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.settings import (
    Config,
    Settings,
    VaultSettings,
    account_kms_key_ids,
    load_config,
)

if TYPE_CHECKING:
    from stripe_netsuite.vault import Vault

app = typer.Typer(help="Sync Stripe and NetSuite.", no_args_is_help=True, add_completion=False)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config file (default: SNS_CONFIG)")
]


def _settings(config: Path | None = None) -> Settings:
    settings = Settings.from_environ()
    if config is not None:
        settings = settings.model_copy(update={"config": config})
    # SNS_LOG_LEVEL for the engine's loggers; the SDK, httpx and the like stay at WARNING.
    logs.configure(settings.log_level, json_lines=settings.log_format == "json")
    return settings


def _config(settings: Settings) -> Config:
    opened: list[Vault] = []

    def open_vault() -> Vault:
        opened.append(_vault(settings))
        return opened[-1]

    try:
        return load_config(settings.config, secrets=SecretResolver(open_vault=open_vault))
    finally:
        for vault in opened:
            vault.database.dispose()


def _vault(settings: Settings) -> Vault:
    """The vault in the engine's database, its master key as the environment says."""
    from stripe_netsuite.store import db
    from stripe_netsuite.vault import Vault

    keys = VaultSettings.from_environ()
    try:
        database = db.make_database(settings.database_url)
    except ValueError as exc:
        raise ConfigError(str(exc), file="environment", key="SNS_DATABASE_URL") from exc
    db.migrate(database)
    return Vault.configure(
        database,
        master_key_file=keys.master_key_file,
        kms_key_id=keys.kms_key_id,
        kms_region=keys.kms_region,
        account_kms_key_ids=account_kms_key_ids(settings.config),
    )


def _prepared(config: Path | None) -> tuple[Settings, Config, Any]:
    """Settings, the validated config and a migrated database engine, or exit 2."""
    from stripe_netsuite.store import db

    settings = _settings(config)
    try:
        cfg = _config(settings)
    except ConfigError as exc:
        raise _fail(exc) from exc
    database = db.make_database(settings.database_url)
    db.migrate(database)
    return settings, cfg, database


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


@app.command()
def migrate(config: ConfigOption = None) -> None:
    """Create or upgrade the database tables."""
    from stripe_netsuite.store import db

    settings = _settings(config)
    db.migrate(db.make_database(settings.database_url))
    typer.echo(f"database is up to date: {redact_url(settings.database_url)}")


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Run the web app (webhooks, console, metrics) with the worker and scheduler."""
    import uvicorn

    from stripe_netsuite.engine import loops
    from stripe_netsuite.engine.runtime import Runtime
    from stripe_netsuite.web.app import create_app, worker_lifespan

    settings, cfg, database = _prepared(config)
    web = create_app(
        config=cfg,
        database=database,
        lifespan=worker_lifespan(lambda: Runtime(settings=settings, config=cfg, database=database)),
        webhook_max_bytes=settings.webhook_max_bytes,
        settings=settings,
    )
    # httptools parses each request in C where h11 would in Python (a webhook per event).
    uvicorn.run(
        web, host=settings.host, port=settings.port, log_level="warning",
        loop=loops.uvicorn_loop(), http="httptools",
    )  # fmt: skip


@app.command()
def worker(config: ConfigOption = None) -> None:
    """Run a worker and the scheduler (no web server); several may share one PostgreSQL."""
    from stripe_netsuite.engine import loops
    from stripe_netsuite.engine.runtime import Runtime, running

    settings, cfg, database = _prepared(config)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with running(Runtime(settings=settings, config=cfg, database=database)):
            await stop.wait()

    loops.run(main())


@app.command()
def status(config: ConfigOption = None) -> None:
    """Job counts per flow and state, event counts, parked jobs and each backfill run."""
    from stripe_netsuite.engine import backfill_progress
    from stripe_netsuite.store import db, inbox, queue

    settings = _settings(config)
    database = db.make_database(settings.database_url)
    db.migrate(database)
    counts = queue.counts(database)
    states = ["pending", "running", "done", "skipped", "parked"]
    kinds = sorted({kind for kind, _ in counts})
    typer.echo(f"{'flow':<14}" + "".join(f"{s:>10}" for s in states))
    for kind in kinds:
        typer.echo(f"{kind:<14}" + "".join(f"{counts.get((kind, s), 0):>10}" for s in states))
    if not kinds:
        typer.echo("(no jobs)")
    typer.echo(
        "events: " + ", ".join(f"{k}={v}" for k, v in sorted(inbox.counts(database).items()))
    )
    for job in queue.list_jobs(database, state="parked", limit=20):
        typer.echo(f"parked #{job.id} {job.kind} {job.object_id}: {job.last_error}")
    for run in backfill_progress.read_runs(database):
        typer.echo("\n".join(backfill_progress.lines(run)))


@app.command()
def retry(
    job_id: Annotated[int | None, typer.Argument(help="One job to re-queue")] = None,
    all_parked: Annotated[bool, typer.Option("--all", help="Re-queue every parked job")] = False,
    config: ConfigOption = None,
) -> None:
    """Re-queue a job, or every parked job, to run now."""
    from stripe_netsuite.store import db, queue

    if (job_id is None) == (not all_parked):
        raise _fail(ValueError("give a job id or --all"))
    settings = _settings(config)
    database = db.make_database(settings.database_url)
    count = queue.requeue(database, job_id=job_id)
    typer.echo(f"re-queued {count} job{'s' if count != 1 else ''}")
    if job_id is not None and count == 0:
        raise typer.Exit(code=1)


AccountOption = Annotated[
    str | None, typer.Option("--account", "-a", help="Account name (default: the only one)")
]


def _account_name(cfg: Config, name: str | None) -> str:
    if name is None:
        if len(cfg.accounts) != 1:
            raise ConfigError(
                "several accounts are configured; choose one with --account: "
                + ", ".join(sorted(cfg.accounts))
            )
        return next(iter(cfg.accounts))
    if name not in cfg.accounts:
        raise ConfigError(f"no account {name!r}; configured: {', '.join(sorted(cfg.accounts))}")
    return name


def _in_account(config: Path | None, account: str | None, work: Any) -> Any:
    """Run ``work(flow context)`` with one account's clients open."""
    from stripe_netsuite.engine.runtime import Runtime

    settings, cfg, database = _prepared(config)
    try:
        name = _account_name(cfg, account)
    except ConfigError as exc:
        raise _fail(exc) from exc

    async def main() -> Any:
        async with Runtime(settings=settings, config=cfg, database=database) as runtime:
            return await work(runtime.contexts[name])

    return asyncio.run(main())


@app.command()
def preview(
    object_id: Annotated[str | None, typer.Argument(help="Stripe object id (cus_…, in_…)")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="A Stripe object as JSON")] = None,
    netsuite: Annotated[
        str | None, typer.Option("--netsuite", help="NetSuite invoice:<id> or customer:<id>")
    ] = None,
    account: AccountOption = None,
    config: ConfigOption = None,
) -> None:
    """Print the NetSuite records a Stripe object would produce (or, with ``--netsuite``,
    what a NetSuite record would do in Stripe), posting nothing."""
    from stripe_netsuite import exceptions
    from stripe_netsuite.flows import netsuite_preview
    from stripe_netsuite.flows import preview as preview_flow
    from stripe_netsuite.mapping.preview import render

    if netsuite is not None:
        try:
            found = _in_account(config, account, lambda c: netsuite_preview.preview(c, netsuite))
        except exceptions.SyncError as exc:
            raise _fail(exc) from exc
        typer.echo(netsuite_preview.render(found))
        return
    if (object_id is None) == (file is None):
        raise _fail(ValueError("give a Stripe object id or --file, not both"))
    obj = None
    if file is not None:
        try:
            obj = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _fail(ValueError(f"{file}: cannot read a JSON object: {exc}")) from exc
        if not isinstance(obj, dict):
            raise _fail(ValueError(f"{file}: expected a JSON object, got {type(obj).__name__}"))

    async def work(ctx: Any) -> Any:
        return await preview_flow.preview(ctx, object_id=object_id, obj=obj)

    try:
        result = _in_account(config, account, work)
    except exceptions.SyncError as exc:
        raise _fail(exc) from exc
    typer.echo(f"{result.kind} {result.object_id}")
    if result.skipped:
        typer.echo(f"would be skipped by rule {result.skipped}")
    typer.echo(render(result.records))


@app.command()
def reconcile(
    payout: Annotated[str | None, typer.Option("--payout", help="One payout (po_…)")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Payouts created on or after (YYYY-MM-DD)")
    ] = None,
    account: AccountOption = None,
    config: ConfigOption = None,
) -> None:
    """Each payout's Stripe amount beside its NetSuite deposit; non-zero exit on a difference."""
    from datetime import date

    from stripe_netsuite.engine import reconcile as reconcile_module
    from stripe_netsuite.mapping import reconciliation

    try:
        start = date.fromisoformat(since) if since else None
    except ValueError as exc:
        raise _fail(ValueError(f"--since {since!r} is not a date (YYYY-MM-DD)")) from exc

    async def work(ctx: Any) -> Any:
        return await reconcile_module.reconcile(ctx, payout_id=payout, since=start)

    reports = _in_account(config, account, work)
    typer.echo(reconciliation.render(reports), nl=False)
    if reconciliation.any_difference(reports):
        raise typer.Exit(code=1)


@app.command()
def backfill(
    since: Annotated[
        str, typer.Option("--since", help="Objects created on or after (YYYY-MM-DD, UTC)")
    ],
    until: Annotated[
        str | None, typer.Option("--until", help="... and before (YYYY-MM-DD; default: now)")
    ] = None,
    types: Annotated[
        str | None,
        typer.Option("--types", help="Comma-separated kinds (customer,invoice,…); default: all"),
    ] = None,
    account: AccountOption = None,
    config: ConfigOption = None,
) -> None:
    """Queue every Stripe object created in a window (history beyond the events list).

    Resumes a stopped run with the same window and types; progress on stderr, a JSON
    summary on stdout. A running worker (``serve`` or ``worker``) syncs what is queued.
    """
    from stripe_netsuite import exceptions, flows
    from stripe_netsuite.engine import backfill as backfill_module
    from stripe_netsuite.stripe_api.client import EngineHTTPClient, make_client
    from stripe_netsuite.stripe_api.listing import Lister, ReadLimiter

    settings, cfg, database = _prepared(config)
    try:
        name = _account_name(cfg, account)
        start = backfill_module.parse_instant(since, option="--since")
        end = backfill_module.parse_instant(until, option="--until") if until else None
        enabled = flows.enabled_kinds(cfg.accounts[name])
        requested = [t for t in (types or "").split(",") if t.strip()]
        chosen = backfill_module.choose_types(requested, enabled)
    except (ConfigError, ValueError) as exc:
        raise _fail(exc) from exc
    for kind in sorted(set(chosen) - enabled):
        typer.echo(f"note: the {kind} flow is off: its objects are recorded, not queued", err=True)
    http = EngineHTTPClient(
        timeout=30.0,
        reads_per_second=settings.stripe_reads_per_second,
        stripe_account_id=cfg.accounts[name].stripe_account_id,
    )
    lister = Lister(
        client=make_client(cfg.accounts[name], http_client=http),
        limiter=ReadLimiter(settings.backfill_reads_per_second),
        on_wait=lambda delay, hint: typer.echo(
            f"Stripe {'rate limit' if hint.rate_limited else 'unavailable'}: "
            f"reading again in {delay:.1f}s",
            err=True,
        ),
    )

    async def main() -> backfill_module.Summary:
        try:
            return await backfill_module.run(
                lister, database, account=name, enabled=enabled, since=start, until=end,
                types=chosen, progress=backfill_module.Printer(lambda s: typer.echo(s, err=True)),
            )  # fmt: skip
        finally:
            await http.close_async()

    try:
        summary = asyncio.run(main())
    except ValueError as exc:
        raise _fail(exc) from exc
    except exceptions.SyncError as exc:
        typer.echo(f"error: {exc}; run the same command again to resume", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(json.dumps(backfill_module.payload(summary)))


@app.command()
def tieout(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="GL cut-off and Stripe objects up to (YYYY-MM-DD)")
    ] = None,
    account: AccountOption = None,
    config: ConfigOption = None,
) -> None:
    """Balances recomputed from Stripe beside NetSuite's GL; non-zero exit on a difference."""
    from datetime import date

    from stripe_netsuite.engine import tieout as tieout_module
    from stripe_netsuite.mapping import tieout as tieout_mapping

    try:
        cutoff = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise _fail(ValueError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)")) from exc

    async def work(ctx: Any) -> Any:
        return await tieout_module.tie_out(ctx, as_of=cutoff)

    result = _in_account(config, account, work)
    typer.echo(tieout_mapping.render(result), nl=False)
    if result.differing:
        raise typer.Exit(code=1)


secrets_app = typer.Typer(
    help="The encrypted store of per-account secrets, referenced as vault:NAME in the config. "
    "Values go in on standard input and are never printed.",
    no_args_is_help=True,
)
app.add_typer(secrets_app, name="secrets")

AccountArgument = Annotated[str, typer.Argument(help="Account name, as in [accounts.<name>]")]
EntryArgument = Annotated[str, typer.Argument(help="Entry name, referenced as vault:NAME")]


def _open_vault(config: Path | None) -> Vault:
    try:
        return _vault(_settings(config))
    except ConfigError as exc:
        raise _fail(exc) from exc


def _stdin_secret() -> str:
    if sys.stdin.isatty():
        value = str(typer.prompt("value (hidden)", hide_input=True))
    else:
        value = sys.stdin.read()
    # `echo` adds a newline a one-line secret must not keep; a PEM key keeps its lines.
    one_line = value.rstrip("\r\n")
    if "\n" not in one_line:
        value = one_line
    if not value:
        raise _fail(ValueError("no value on standard input"))
    return value


@secrets_app.command("set")
def secrets_set(account: AccountArgument, name: EntryArgument, config: ConfigOption = None) -> None:
    """Store a secret read from standard input (never from the command line).

    Example: echo -n "$KEY" | stripe-netsuite secrets set main stripe_api_key
    """
    value = _stdin_secret()
    vault = _open_vault(config)
    try:
        vault.set(account, name, value)
    except ConfigError as exc:
        raise _fail(exc) from exc
    typer.echo(f'stored {account}/{name}; use "vault:{name}" in [accounts.{account}]')


@secrets_app.command("show")
def secrets_show(
    account: Annotated[str | None, typer.Argument(help="Only this account")] = None,
    redacted: Annotated[
        bool,
        typer.Option(
            "--redacted", help="Values are shown as **********: the default and only mode."
        ),
    ] = True,
    config: ConfigOption = None,
) -> None:
    """List the stored entries: names, key versions, update times; values always redacted."""
    entries = _open_vault(config).show(account)
    if not entries:
        typer.echo("(no secrets)")
    for entry in entries:
        master = entry.provider
        if entry.master_key_version is not None:
            master += f" v{entry.master_key_version}"
        typer.echo(
            f"{entry.account:<16} {entry.name:<28} ********** data key v{entry.key_version:<3} "
            f"master {master:<10} {entry.master_key_id}  "
            f"updated {entry.updated_at.isoformat(timespec='seconds')}"
        )


@secrets_app.command("rotate")
def secrets_rotate(
    data_keys: Annotated[
        bool,
        typer.Option("--data-keys", help="Also give each account a new data key and re-seal."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add a master key version and re-wrap every data key under it, without downtime."""
    from stripe_netsuite.vault import RotationStep

    def report(step: RotationStep) -> None:
        typer.echo(step.action + (f": {step.account}" if step.account else ""))

    try:
        done = _open_vault(config).rotate(data_keys=data_keys, progress=report)
    except ConfigError as exc:
        raise _fail(exc) from exc
    typer.echo(f"rotated {len(done)} account{'s' if len(done) != 1 else ''}")


@secrets_app.command("delete")
def secrets_delete(
    account: AccountArgument, name: EntryArgument, config: ConfigOption = None
) -> None:
    """Remove one stored secret."""
    if not _open_vault(config).delete(account, name):
        typer.echo(f"no secret {account}/{name}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"deleted {account}/{name}")


user_app = typer.Typer(help="Users of the operations console.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[str, typer.Option("--role", help="viewer, operator or admin")] = "viewer",
    config: ConfigOption = None,
) -> None:
    """Add a console user, or set an existing one's role and password (read from stdin).

    Example: printf '%s' "$PASSWORD" | stripe-netsuite user add alice --role operator
    """
    from stripe_netsuite.store import audit, db, users

    password = _stdin_secret()
    settings = _settings(config)
    database = db.make_database(settings.database_url)
    db.migrate(database)
    try:
        user = users.add_user(database, name, role, password)
    except users.UserError as exc:
        raise _fail(exc) from exc
    audit.record(database, login="cli", action="user add", target=user.login, detail=user.role)
    typer.echo(f"user {user.login} can log in as {user.role.value}")


def main() -> None:
    """Console-script entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        app()
