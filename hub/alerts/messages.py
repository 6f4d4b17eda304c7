"""Who hears about an alert, and the messages they get: an e-mail (RFC 5322 bytes, built with the stdlib
``email`` package) and a webhook JSON with a ``text`` field that Slack and Teams incoming webhooks show."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

from hub.alerts.texts import describe, texts
from hub.alerts.unsubscribe import make_token
from hub.reports.localtime import zone
from hub.store.records import AlertRow, Contact, NewDelivery


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What every message needs besides its content: the sender, the dashboard's address, the link key."""

    mail_from: str
    public_url: str
    unsubscribe_key: bytes


@dataclass(frozen=True, slots=True)
class Image:
    cid: str  # without angle brackets
    png: bytes


def local_time(now_ms: int, tz: str) -> str:
    return datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M %Z")


def email_bytes(
    *,
    mail_from: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    images: Iterable[Image] = (),
    unsubscribe_url: str | None = None,
    now_ms: int,
) -> bytes:
    """A plain-text e-mail, or text + HTML alternatives with inline (``cid:``) images."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = mail_from, to, subject
    msg["Date"] = formatdate(now_ms / 1000, localtime=False)
    msg["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2] or "hub.local")
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: a POST to the link unsubscribes
    # quoted-printable: SMTP lines stay under 998 bytes (RFC 5321) whatever the text or HTML holds
    msg.set_content(text, cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
        html_part = msg.get_payload()[1]  # type: ignore[index]  # multipart/alternative: a list of parts
        assert isinstance(html_part, EmailMessage)
        for image in images:
            html_part.add_related(image.png, "image", "png", cid=f"<{image.cid}>", disposition="inline")
    return msg.as_bytes(policy=SMTP)  # CRLF line ends: smtplib sends bytes as they are


def sees(contact: Contact, location_id: str, region_id: str | None, visible: frozenset[str] | None) -> bool:
    """Whether an alert about this store reaches the user: they may see it (``visible`` None = admin) and it is
    within the stores or regions they chose (none chosen = every store they see)."""
    if visible is not None and location_id not in visible:
        return False
    if not contact.scope_location_ids and not contact.scope_region_ids:
        return True
    return location_id in contact.scope_location_ids or (
        region_id is not None and region_id in contact.scope_region_ids
    )


def alert_deliveries(
    alert: AlertRow,
    *,
    store_name: str,
    region_id: str | None,
    contacts: Iterable[Contact],
    visible: Mapping[str, frozenset[str] | None],
    out: Outgoing,
) -> list[NewDelivery]:
    """The opened alert's e-mails and webhook posts, one per user and channel that should hear of it."""
    items = []
    for c in contacts:
        if not sees(c, alert.location_id, region_id, visible.get(c.user_id, frozenset())):
            continue
        t = texts(c.language)
        what = describe(alert.detail, c.language)
        subject = t["alert_subject"].format(store=store_name, what=what)
        link = f"{out.public_url}/alerts?location={alert.location_id}"
        body = t["alert_body"].format(
            store=store_name, what=what, when=local_time(alert.opened_ms, c.timezone), link=link
        )
        if c.email and c.email_alerts:
            stop = f"{out.public_url}/unsubscribe/{make_token(out.unsubscribe_key, c.user_id, 'alerts')}"
            payload = email_bytes(
                mail_from=out.mail_from,
                to=c.email,
                subject=subject,
                text=body + "\n-- \n" + t["stop_alerts"].format(link=stop) + "\n",
                unsubscribe_url=stop,
                now_ms=alert.opened_ms,
            )
            items.append(NewDelivery("email", c.email, subject, payload, user_id=c.user_id, alert_id=alert.id))
        if c.webhook_url:
            doc = {
                "text": f"{subject}\n{link}",
                "alert": {
                    "id": alert.id,
                    "location_id": alert.location_id,
                    "subject": alert.subject,
                    "state": alert.state,
                    "value": alert.value,
                    "opened_ms": alert.opened_ms,
                    "detail": json.loads(alert.detail),
                },
            }
            items.append(
                NewDelivery(
                    "webhook", c.webhook_url, subject, json.dumps(doc).encode(), user_id=c.user_id, alert_id=alert.id
                )
            )
    return items
