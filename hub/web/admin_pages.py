"""The admin pages (admins only): regions and stores, kiosks, users, kiosk settings, the audit log, failed
sign-ins.

Each page renders its frame; ``static/js/admin*.js`` reads and writes through the administration API
(``hub/api/organisation.py``, ``kiosks.py``, ``users.py``, ``kiosk_settings.py``, ``audit.py``, ``sign_ins.py``),
sending the session's CSRF token in ``X-CSRF-Token`` with every write. A manager asking for an admin page gets a 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.reports.opening_hours import DAYS
from hub.web.pages import not_found, render, session_of

SECTIONS = ("stores", "kiosks", "users", "settings", "audit", "sign-ins")
router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_home(request: Request) -> Response:
    session_of(request)
    return RedirectResponse("/admin/stores", status_code=303)


@router.get("/admin/{section}", response_class=HTMLResponse)
def admin_page(request: Request, section: str) -> Response:
    session = session_of(request)
    if not session.principal.is_admin or section not in SECTIONS:
        return not_found(request)
    return render(
        request,
        f"admin_{section.replace('-', '_')}.html",
        page="admin",
        section=section,
        sections=SECTIONS,
        days=DAYS,
        data={"section": section, "days": list(DAYS)},
    )
