"""The admin page that imports a HappyOrNot history from uploaded export files (``hub.imports``).

The uploads are written to a private folder under the data dir, imported like ``python -m hub import happyornot``
does (resumable and idempotent: uploading the same files again changes nothing), then deleted.
"""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from feedback.ids import InvalidId
from hub.accounts import Session, csrf_matches
from hub.api.deps import get_store
from hub.errors import HubError
from hub.imports.happyornot import Importer
from hub.imports.mapping import load_mapping
from hub.web.pages import render, session_of

router = APIRouter(include_in_schema=False)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _admin(request: Request) -> Session:
    session = session_of(request)
    if not session.principal.is_admin:
        raise HTTPException(403, "admin role required")
    return session


def _save(upload: UploadFile, folder: Path, index: int) -> Path:
    name = _UNSAFE.sub("_", Path(upload.filename or "upload").name)[-120:].lstrip(".") or "upload"
    path = folder / f"{index:02d}-{name}"
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)
    return path


@router.get("/admin/import", response_class=HTMLResponse)
def import_form(request: Request) -> Response:
    _admin(request)
    return render(request, "import.html", page="import")


@router.post("/admin/import", response_class=HTMLResponse)
def import_upload(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)],
    files: Annotated[list[UploadFile], File(description="HappyOrNot export files")],
    mapping: Annotated[UploadFile | None, File()] = None,
    timezone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    session = _admin(request)
    if not csrf_matches(session.csrf, csrf):
        raise HTTPException(403, "wrong CSRF token")
    folder = request.app.state.config.data_dir / "imports" / secrets.token_hex(8)
    folder.mkdir(parents=True, mode=0o700)
    try:
        paths = [_save(u, folder, i) for i, u in enumerate(files) if u.filename]
        mapping_path = _save(mapping, folder, 99) if mapping is not None and mapping.filename else None
        loaded = load_mapping(mapping_path, timezone=timezone.strip() or None)
        store = get_store(request)
        summary = Importer(store, loaded, now_ms=request.app.state.now_ms()).run(paths)
    except (HubError, InvalidId) as exc:
        return render(request, "import.html", status_code=422, page="import", error=str(exc))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return render(request, "import.html", page="import", lines=summary.lines())
