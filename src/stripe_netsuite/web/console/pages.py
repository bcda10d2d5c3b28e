"""The overview, errors, object, audit log and settings pages, and the actions on jobs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from stripe_netsuite import exceptions, kinds, logs
from stripe_netsuite.credentials import redact_url
from stripe_netsuite.engine import backfill_progress, metrics
from stripe_netsuite.flows import preview as preview_flow
from stripe_netsuite.mapping.preview import render as render_records
from stripe_netsuite.store import audit, db, heartbeats, lineage, queue, users
from stripe_netsuite.stripe_api import events
from stripe_netsuite.web.console import auth, render
from stripe_netsuite.web.console.state import ConsoleState

Role = users.Role


def install(app: FastAPI, state: ConsoleState) -> None:
    """Add the pages and the job actions to *app*."""

    @app.get("/")
    async def overview(request: Request) -> Response:
        session = await auth.require(request, state)
        return render.page("overview.html", **render.common(session, **await _overview(state)))

    @app.get("/errors")
    async def errors(request: Request, show: str = "open") -> Response:
        session = await auth.require(request, state)
        found = await asyncio.to_thread(lineage.error_jobs, state.database)
        triage = await asyncio.to_thread(audit.triage_of, state.database, [j.id for j in found])
        if show != "all":
            found = [j for j in found if _open(j, triage.get(j.id))]
        groups = lineage.group(found)
        return render.page(
            "errors.html",
            **render.common(session, groups=groups, triage=triage, show=show, total=len(found)),
        )

    @app.post("/errors/retry")
    async def retry(request: Request) -> Response:
        session, form = await auth.require_post(request, state, Role.OPERATOR)
        found = await asyncio.to_thread(lineage.error_jobs, state.database)
        if auth.first(form, "all"):
            # Every parked job, beyond the page's list too; then the retrying ones listed.
            requeued = await asyncio.to_thread(queue.requeue, state.database)
            chosen = [j for j in found if j.state is queue.JobState.PENDING]
            count = requeued + await asyncio.to_thread(_retry, state.database, chosen)
            await asyncio.to_thread(
                audit.record, state.database, login=session.user.login, action="retry",
                target="all", detail=f"{count} job{'s' if count != 1 else ''} re-queued",
            )  # fmt: skip
            state.wake()
            return RedirectResponse("/errors", status_code=303)
        if auth.first(form, "group"):
            chosen = [
                j for j in found if lineage.pattern(j.last_error) == auth.first(form, "group")
            ]
        else:  # any job by id: the object page also retries skipped ones
            wanted = sorted({int(v) for v in form.get("job_id", []) if v.isdigit()})
            jobs = [await asyncio.to_thread(lineage.job, state.database, i) for i in wanted]
            chosen = [j for j in jobs if j is not None]
        count = await asyncio.to_thread(_retry, state.database, chosen)
        await asyncio.to_thread(
            audit.record, state.database, login=session.user.login, action="retry",
            target=_targets(chosen), detail=f"{count} job{'s' if count != 1 else ''} re-queued",
        )  # fmt: skip
        state.wake()
        return RedirectResponse(
            auth.local_path(auth.first(form, "back", "/errors")), status_code=303
        )

    @app.post("/errors/triage")
    async def triage(request: Request) -> Response:
        session, form = await auth.require_post(request, state, Role.OPERATOR)
        job_id = auth.first(form, "job_id")
        if (
            not job_id.isdigit()
            or await asyncio.to_thread(lineage.job, state.database, int(job_id)) is None
        ):
            return Response(f"no job {job_id!r}", status_code=404, headers=render.HEADERS)
        action = auth.first(form, "action")
        statuses = {"resolve": audit.Status.RESOLVED, "ignore": audit.Status.IGNORED,
                    "reopen": audit.Status.OPEN}  # fmt: skip
        assignee = form.get("assignee")
        await asyncio.to_thread(
            audit.set_triage, state.database, int(job_id), by=session.user.login,
            status=statuses.get(action), note=auth.first(form, "note") if "note" in form else None,
            assignee=assignee[0].strip()[:64] if assignee else None,
        )  # fmt: skip
        return RedirectResponse(
            auth.local_path(auth.first(form, "back", "/errors")), status_code=303
        )

    @app.get("/objects/{object_id}")
    async def object_page(request: Request, object_id: str, preview: str = "") -> Response:
        session = await auth.require(request, state)
        found = await asyncio.to_thread(lineage.lineage, state.database, object_id)
        triage = await asyncio.to_thread(
            audit.triage_of, state.database, [j.id for j in found.jobs]
        )
        accounts = {j.account for j in found.jobs} | {link.account for link in found.links}
        account = next(iter(sorted(accounts)), None) or next(iter(state.config.accounts))
        cfg = state.config.accounts.get(account)
        shown = None
        if preview:
            shown = await _preview(state, account, object_id)
        return render.page(
            "object.html",
            **render.common(
                session, found=found, triage=triage, account=account, preview=shown,
                stripe_url=render.stripe_url(cfg, object_id) if cfg else None,
                netsuite_url=(lambda t, i: render.netsuite_url(cfg, t, i)) if cfg else None,
            ),
        )  # fmt: skip

    @app.post("/tieout")
    async def run_tieout(request: Request) -> Response:
        session, _form = await auth.require_post(request, state, Role.OPERATOR)
        if state.monitor is not None:
            for name, ctx in state.contexts().items():
                await state.monitor.check_tieout(name, ctx)
        await asyncio.to_thread(
            audit.record, state.database, login=session.user.login, action="tie-out run"
        )
        return RedirectResponse("/", status_code=303)

    @app.get("/audit")
    async def audit_page(request: Request, page: int = 0) -> Response:
        session = await auth.require(request, state, Role.ADMIN)
        rows = await asyncio.to_thread(
            audit.entries, state.database, limit=200, offset=200 * max(page, 0)
        )
        return render.page("audit.html", **render.common(session, rows=rows, page=max(page, 0)))

    @app.get("/settings")
    async def settings_page(request: Request) -> Response:
        session = await auth.require(request, state, Role.ADMIN)
        shown = state.settings.model_dump(mode="json")
        shown["database_url"] = redact_url(state.settings.database_url)
        config = state.config.model_dump(mode="json")  # SecretStr dumps as **********
        people = await asyncio.to_thread(users.list_users, state.database)
        return render.page(
            "settings.html",
            **render.common(
                session, settings=json.dumps(shown, indent=2, sort_keys=True),
                config=json.dumps(config, indent=2, sort_keys=True), people=people,
            ),
        )  # fmt: skip


def _direction(kind: str) -> str:
    try:
        source = getattr(kinds.get(kind), "source", "stripe")
    except KeyError:
        source = "stripe"
    return "NetSuite → Stripe" if source == "netsuite" else "Stripe → NetSuite"


def _open(job: queue.Job, triage: audit.Triage | None) -> bool:
    # A resolve or an ignore holds until the job changes again (another failure, a retry).
    if triage is None or triage.status is audit.Status.OPEN:
        return True
    return job.updated_at > triage.updated_at


def _targets(chosen: list[queue.Job]) -> str:
    ids = ", ".join(f"job {j.id}" for j in chosen[:10])
    return ids + (f" and {len(chosen) - 10} more" if len(chosen) > 10 else "")


def _retry(database: Any, chosen: list[queue.Job]) -> int:
    count = 0
    for job in chosen:
        if job.state in (queue.JobState.PARKED, queue.JobState.SKIPPED):
            count += queue.requeue(database, job_id=job.id)
    retrying = [j.id for j in chosen if j.state is queue.JobState.PENDING]
    return count + lineage.due_now(database, retrying)


async def _preview(state: ConsoleState, account: str, object_id: str) -> dict[str, Any]:
    ctx = state.contexts().get(account)
    if ctx is None:
        return {"problem": "the engine's worker is not running beside this console"}
    try:
        result = await preview_flow.preview(ctx, object_id=object_id)
    except exceptions.SyncError as exc:
        return {"problem": str(exc)}
    return {"problem": None, "kind": result.kind, "skipped": result.skipped,
            "text": render_records(result.records)}  # fmt: skip


async def _overview(state: ConsoleState) -> dict[str, Any]:
    counts = await asyncio.to_thread(lineage.flow_counts, state.database)
    lag = await asyncio.to_thread(lineage.lag_seconds, state.database)
    polls = await asyncio.to_thread(lineage.cursor_times, state.database, events.cursor_name(""))
    now = db.utcnow()
    accounts = [
        {"name": name, "last_poll": polls.get(events.cursor_name(name)),
         "poll_age": (now - polls[events.cursor_name(name)]).total_seconds()
         if events.cursor_name(name) in polls else None}
        for name in state.config.accounts
    ]  # fmt: skip
    loops = [
        {"name": name, "problem": beat.problem(), "age": beat.age()}
        for name, beat in sorted(state.heartbeats().items())
    ]
    # Every engine process's loops, from the store: `worker` processes elsewhere too.
    stall = state.settings.ready_stall_seconds
    workers = [
        {"process": b.process, "loop": b.loop, "age": b.age(now), "started_at": b.started_at,
         "stale": b.age(now) > stall}
        for b in await asyncio.to_thread(heartbeats.list_beats, state.database)
    ]  # fmt: skip
    governors = [
        {"account": name, "in_flight": g.in_flight, "allowed": getattr(g, "allowed", None),
         "limit": getattr(g, "limit", None)}
        for name, g in sorted(state.governors().items())
    ]  # fmt: skip
    tieouts = state.monitor.tieouts if state.monitor is not None else {}
    runs = await asyncio.to_thread(backfill_progress.read_runs, state.database)
    backfills = [{"run": run, "facts": backfill_progress.facts(run)} for run in runs]
    return {
        "counts": counts, "directions": {kind: _direction(kind) for kind in counts},
        "buckets": lineage.BUCKETS, "lag": lag, "accounts": accounts,
        "loops": loops, "workers": workers, "stall": stall,
        "governors": governors, "throttled": metrics.throttled_total(),
        "tieouts": tieouts, "engine_running": bool(state.heartbeats()),
        "request_id": logs.request_id.get(), "backfills": backfills,
        "backfill_stale": backfill_progress.STALE_SECONDS,
    }  # fmt: skip
