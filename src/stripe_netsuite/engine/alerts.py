"""Sending alerts: email over SMTP and a Slack-compatible webhook, per account.

An alert that cannot be sent is logged (the host, the status, never the credentials)
and dropped: a mail server that is down must not stop the engine, and the condition is
still on the console and in ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from stripe_netsuite.settings import Alerts

log = logging.getLogger(__name__)

#: Seconds an SMTP server or a webhook has to answer.
TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Alert:
    """One message: a subject line and a plain-text body."""

    account: str
    subject: str
    text: str


def configured(cfg: Alerts) -> bool:
    """Whether the account has anywhere to send alerts."""
    return bool((cfg.email_to and cfg.smtp_host) or cfg.webhook_url)


async def send(cfg: Alerts, alert: Alert) -> list[str]:
    """Send *alert* everywhere *cfg* names; the channels that failed, and why."""
    failed: list[str] = []
    if cfg.email_to and cfg.smtp_host:
        try:
            await asyncio.to_thread(_email, cfg, alert)
        except (OSError, smtplib.SMTPException) as exc:
            failed.append(f"email via {cfg.smtp_host}:{cfg.smtp_port}: {type(exc).__name__}")
    if cfg.webhook_url:
        try:
            await _webhook(cfg.webhook_url.get_secret_value(), alert)
        except httpx.HTTPError as exc:
            # The URL is a secret: only the class and the status are told.
            status = getattr(getattr(exc, "response", None), "status_code", None)
            failed.append(f"webhook: {type(exc).__name__}" + (f" {status}" if status else ""))
    for problem in failed:
        log.warning(
            "alert not sent account=%s subject=%r %s", alert.account, alert.subject, problem
        )
    return failed


def _email(cfg: Alerts, alert: Alert) -> None:
    message = EmailMessage()
    message["Subject"] = f"[stripe-netsuite {alert.account}] {alert.subject}"
    message["From"] = cfg.email_from
    message["To"] = ", ".join(cfg.email_to)
    message.set_content(alert.text)
    assert cfg.smtp_host is not None
    server: smtplib.SMTP
    if cfg.smtp_security == "tls":
        context = ssl.create_default_context()
        server = smtplib.SMTP_SSL(
            cfg.smtp_host, cfg.smtp_port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        server = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=TIMEOUT_SECONDS)
    with server:
        if cfg.smtp_security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if cfg.smtp_username and cfg.smtp_password:
            server.login(cfg.smtp_username, cfg.smtp_password.get_secret_value())
        server.send_message(message)


async def _webhook(url: str, alert: Alert) -> None:
    text = f"*[stripe-netsuite {alert.account}] {alert.subject}*\n{alert.text}"
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
        response = await http.post(url, json={"text": text})
        response.raise_for_status()
