"""Delivery adapters (SMTP with the stdlib ``smtplib``, webhooks with httpx) and the queue they drain.

Messages wait in the store's ``deliveries`` table, queued in the same transaction as the alert or report that
caused them. ``deliver_due`` claims the due ones, sends each, and marks it sent, or due again after a backoff
(1 s, 2 s, 4 s, … at most 5 minutes), or failed after ``MAX_ATTEMPTS``. It runs in its own thread
(``hub.alerts.service``), never in the ingest's.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx

from hub.errors import ConfigError
from hub.store import Store
from hub.store.records import DeliveryRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # about 8.5 minutes of retries: 1 + 2 + 4 + … + 256 s
MAX_BACKOFF_S = 300
CLAIM_MS = 120_000  # a claimed message is due again after this if its sender died mid-send
TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    is_tls: bool  # smtps://: TLS from the first byte; smtp://: STARTTLS when the server offers it
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://USER:PASS@HOST:PORT`` or ``smtps://…``; :raises ConfigError: naming ``--smtp-url``"""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"--smtp-url {url!r} must look like smtp://[user:password@]host:port (or smtps://)")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ConfigError(f"--smtp-url {url!r} has an invalid port") from None
    return SmtpServer(
        parts.hostname,
        port,
        parts.scheme == "smtps",
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


class DeliveryFailed(Exception):
    """One attempt failed (the server is down, refused, or answered an error); retried with backoff."""


def send_email(server: SmtpServer, *, mail_from: str, to: str, message: bytes) -> None:
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if server.is_tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_S, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_S)
        with smtp:
            smtp.ehlo()
            if not server.is_tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.username:
                smtp.login(server.username, server.password or "")
            smtp.sendmail(mail_from, [to], message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"smtp {server.host}:{server.port}: {exc}") from exc


def post_webhook(url: str, payload: bytes) -> None:
    try:
        r = httpx.post(url, content=payload, headers={"Content-Type": "application/json"}, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook: {exc}") from exc
    if r.status_code >= 300:
        raise DeliveryFailed(f"webhook answered {r.status_code}: {r.text[:200]}")


@dataclass(frozen=True, slots=True)
class Senders:
    """How each channel is sent; ``smtp`` None: e-mails wait (and are retried) until a server is configured."""

    mail_from: str
    smtp: SmtpServer | None = None
    webhook: Callable[[str, bytes], None] = post_webhook

    def send(self, d: DeliveryRow) -> None:
        if d.channel == "webhook":
            self.webhook(d.target, d.payload)
            return
        if self.smtp is None:
            raise DeliveryFailed("no --smtp-url configured")
        send_email(self.smtp, mail_from=self.mail_from, to=d.target, message=d.payload)


def backoff_ms(attempts: int) -> int:
    """Wait before attempt ``attempts + 1``."""
    return int(min(2 ** max(0, attempts - 1), MAX_BACKOFF_S) * 1000)


def deliver_due(store: Store, senders: Senders, *, now_ms: Callable[[], int], limit: int = 20) -> int:
    """Send the messages due now; returns how many were sent."""
    sent = 0
    for d in store.deliveries.claim_due(now_ms=now_ms(), claim_ms=CLAIM_MS, limit=limit):
        try:
            senders.send(d)
        except DeliveryFailed as exc:
            attempts = d.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                log.warning("delivery %d to %s failed for good after %d attempts: %s", d.id, d.target, attempts, exc)
                store.deliveries.mark_failed(d.id, error=str(exc), now_ms=now_ms())
            else:
                log.info("delivery %d to %s failed (attempt %d), retrying: %s", d.id, d.target, attempts, exc)
                store.deliveries.mark_retry(d.id, error=str(exc), next_ms=now_ms() + backoff_ms(attempts))
            continue
        store.deliveries.mark_sent(d.id, now_ms=now_ms())
        sent += 1
    return sent
