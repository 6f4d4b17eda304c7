"""Server-rendered dashboard pages: login, overview, location, compare, fleet.

Pages render the frame (navigation, range picker, forms with their CSRF token) in the chosen language; the
numbers come from the JSON API, fetched and refreshed by ``static/js/`` (``core.js`` + one script per page)
without reloading the page.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from feedback.misuse import MAX_RESPONSE_INTERVAL_S, MIN_RESPONSE_INTERVAL_S
from hub.accounts import SESSION_TTL_MS, Session, check_password, close_session, csrf_matches, open_session
from hub.api.deps import get_store, visible_location
from hub.errors import NotFound
from hub.fleet.misuse_rule import set_response_interval
from hub.reports import ranges
from hub.web.i18n import LANGUAGES, STRINGS, pick_language
from hub.web.login_throttle import LoginThrottle, client_key
from hub.web.session_middleware import SESSION_COOKIE, cookie_value

HERE = Path(__file__).resolve().parent
LOGIN_CSRF_COOKIE = "hub_login_csrf"
POLL_INTERVAL_MS = 5000  # pages without pushed updates (Kiosks) and the benchmark's polling baseline
FALLBACK_POLL_MS = 60_000  # pages with pushed updates (server-sent events) still reload this often
SWAGGER = "/static/vendor/swagger-ui-5.35.0"
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)
THROTTLE = LoginThrottle()


class LoginRequired(Exception):
    """A page was asked for without a valid session; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def safe_next(value: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return "/"
    return value


def language(request: Request) -> str:
    return pick_language(request.cookies.get("lang"), request.headers.get("accept-language"))


def session_of(request: Request) -> Session:
    session = getattr(request.state, "session", None)
    if session is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    assert isinstance(session, Session)
    return session


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    page: str = "",
    data: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    lang = language(request)
    session = getattr(request.state, "session", None)
    page_data = {
        "page": page,
        "lang": lang,
        "t": STRINGS[lang],
        "poll_ms": POLL_INTERVAL_MS,
        "fallback_poll_ms": FALLBACK_POLL_MS,
        "presets": list(ranges.PRESETS),
        "csrf": session.csrf if session else None,
        **(data or {}),
    }
    return templates.TemplateResponse(
        request,
        template,
        {
            "t": STRINGS[lang],
            "lang": lang,
            "other_lang": next(x for x in LANGUAGES if x != lang),
            "session": session,
            "page": page,
            "page_data": page_data,
            "here": quote(request.url.path),
            **context,
        },
        status_code=status_code,
    )


def not_found(request: Request) -> Response:
    return render(request, "error.html", status_code=404, page="error")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, failed: int = 0, wait: int = 0) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(
        request,
        "login.html",
        page="login",
        login_csrf=token,
        next_path=safe_next(next),
        failed=failed,
        wait_s=max(0, min(wait, 3600)),
    )
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=request.url.scheme == "https",
    )
    return resp


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf):
        return RedirectResponse(f"/login?failed=2&next={quote(safe_next(next))}", status_code=303)
    store = get_store(request)
    now = request.app.state.now_ms()
    client = client_key(request.client.host if request.client else None)
    wait_ms = THROTTLE.wait_ms(store, client, username, now_ms=now)
    if wait_ms > 0:
        wait_s = -(-wait_ms // 1000)
        return RedirectResponse(f"/login?failed=3&wait={wait_s}&next={quote(safe_next(next))}", status_code=303)
    role = check_password(store, username, password)
    if role is None:
        THROTTLE.failed(store, client, username, now_ms=now)
        return RedirectResponse(f"/login?failed=1&next={quote(safe_next(next))}", status_code=303)
    THROTTLE.succeeded(store, client, username)
    token = open_session(store, username, now_ms=now)
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_TTL_MS // 1000,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)]) -> Response:
    session = session_of(request)
    if not csrf_matches(session.csrf, csrf):
        raise HTTPException(403, "wrong CSRF token")
    token = cookie_value(request.scope, SESSION_COOKIE)
    if token:
        close_session(get_store(request), token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    resp = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        resp.set_cookie("lang", code, max_age=365 * 86400, samesite="lax", path="/")
    return resp


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> Response:
    session_of(request)
    return render(request, "overview.html", page="overview")


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request) -> Response:
    session_of(request)
    return render(request, "compare.html", page="compare")


@router.get("/fleet", response_class=HTMLResponse)
def fleet_page(request: Request) -> Response:
    session_of(request)
    return render(request, "fleet.html", page="fleet")


@router.get("/locations/{location_id}", response_class=HTMLResponse)
def location_page(request: Request, location_id: str, recomputed: str | None = None) -> Response:
    session = session_of(request)
    try:
        loc = visible_location(get_store(request), session.principal, location_id)
    except NotFound:
        return not_found(request)
    done = re.fullmatch(r"(\d{1,12})-(\d{1,12})", recomputed or "")
    return render(
        request,
        "location.html",
        page="location",
        location=loc,
        is_admin=session.principal.is_admin,
        recomputed={"misuse": int(done[1]), "ratings": int(done[2])} if done else None,
        data={"location_id": loc.id, "timezone": loc.timezone},
    )


@router.post("/locations/{location_id}/response-interval")
def set_interval(
    request: Request,
    location_id: str,
    csrf: Annotated[str, Form(max_length=200)],
    response_interval_s: Annotated[float, Form(ge=MIN_RESPONSE_INTERVAL_S, le=MAX_RESPONSE_INTERVAL_S)],
) -> Response:
    session = session_of(request)
    if not csrf_matches(session.csrf, csrf):
        raise HTTPException(403, "wrong CSRF token")
    store = get_store(request)
    try:
        loc = visible_location(store, session.principal, location_id)
    except NotFound:
        return not_found(request)
    if not session.principal.is_admin:
        raise HTTPException(403, "admin role required")
    done = set_response_interval(store, loc.id, interval_s=response_interval_s, now_ms=request.app.state.now_ms())
    return RedirectResponse(f"/locations/{loc.id}?recomputed={done.misuse}-{done.ratings}", status_code=303)


def _docs_page() -> tuple[bytes, str]:
    """Swagger UI's page and a CSP allowing its one inline script by hash (CSP level 2), nothing else inline."""
    body = bytes(
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Feedback hub API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        ).body
    )
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in re.finditer(rb"<script>(.*?)</script>", body, re.DOTALL)
    )
    # Swagger UI (React) sets style attributes on its elements: those need 'unsafe-inline' for styles, which
    # cannot run code; scripts stay limited to the hub's own files and the hashed inline one
    csp = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    )
    return body, csp


DOCS_HTML, DOCS_CSP = _docs_page()


@router.get("/docs", response_class=HTMLResponse)
def api_docs() -> Response:
    """Swagger UI from the hub's own copy (no CDN), under a CSP of its own."""
    return HTMLResponse(DOCS_HTML, headers={"Content-Security-Policy": DOCS_CSP})
