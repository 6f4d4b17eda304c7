"""The Alerts page (alerts with a store filter, acknowledgement with a comment, history, and the user's own
notification settings) and the unsubscribe links of e-mails (a signed token, no sign-in needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hub.alerts.unsubscribe import read_token, signing_key
from hub.api.deps import get_store
from hub.errors import BadUnsubscribeToken
from hub.web.pages import render, session_of

router = APIRouter(include_in_schema=False)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> Response:
    session = session_of(request)
    store = get_store(request)
    locations = [
        {"id": loc.id, "name": loc.name} for loc in store.registry.locations() if session.principal.may_see(loc.id)
    ]
    contacts = store.deliveries.contacts(session.user_id)
    return render(
        request,
        "alerts.html",
        page="alerts",
        locations=locations,
        has_email=bool(contacts and contacts[0].email),
        data={"locations": locations},
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(request: Request, token: str) -> Response:
    """Asks first: mail scanners follow links, and only a POST unsubscribes (RFC 8058 one-click included)."""
    try:
        _, what = read_token(signing_key(get_store(request)), token)
    except BadUnsubscribeToken:
        return render(request, "error.html", status_code=404, page="error")
    return render(request, "unsubscribe.html", page="unsubscribe", what=what, token=token, done=False)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str) -> Response:
    store = get_store(request)
    try:
        user_id, what = read_token(signing_key(store), token)
    except BadUnsubscribeToken:
        return render(request, "error.html", status_code=404, page="error")
    contacts = store.deliveries.contacts(user_id)
    if contacts:
        c = contacts[0]
        store.deliveries.put_settings(
            user_id,
            email_alerts=c.email_alerts and what != "alerts",
            webhook_url=c.webhook_url,
            report_period=None if what == "reports" else c.report_period,
            report_time=c.report_time,
            location_ids=list(c.scope_location_ids),
            region_ids=list(c.scope_region_ids),
        )
    return render(request, "unsubscribe.html", page="unsubscribe", what=what, token=token, done=True)
