"""Administering dashboard users for scripts and the admin pages: add, change role, stores and regions, reset
the password (a new one is shown once), disable. Admin-only, CSRF-checked for browser sessions, audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from hub.access import ROLES
from hub.accounts import MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, add_user, new_password, update_user
from hub.api.deps import ID_PATTERN, AdminPrincipal, StoreDep, audit, require_csrf
from hub.errors import AccountError, AlreadyExists, UnknownUser
from hub.store import Store

router = APIRouter(prefix="/api/users", tags=["administration"])
ROLE_PATTERN = "^(" + "|".join(ROLES) + ")$"


class UserIn(BaseModel):
    name: str = Field(pattern=ID_PATTERN, description="the login name: a-z, 0-9 and '-'")
    role: str = Field(pattern=ROLE_PATTERN)
    password: str | None = Field(
        default=None,
        min_length=MIN_PASSWORD_LEN,
        max_length=MAX_PASSWORD_LEN,
        description="omit it and the hub makes one, shown once in the answer",
    )
    location_ids: list[str] = Field(default_factory=list, max_length=2000, description="stores a manager sees")
    region_ids: list[str] = Field(default_factory=list, max_length=200, description="regions a manager sees")


class UserPatch(BaseModel):
    role: str | None = Field(default=None, pattern=ROLE_PATTERN)
    location_ids: list[str] | None = Field(default=None, max_length=2000, description="replaces the stores")
    region_ids: list[str] | None = Field(default=None, max_length=200, description="replaces the regions")
    is_disabled: bool | None = Field(default=None, description="true: cannot log in; sessions and tokens stop")
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LEN, max_length=MAX_PASSWORD_LEN)
    reset_password: bool = Field(default=False, description="true: the hub makes a new password, shown once")


def user_row(store: Store, name: str) -> dict[str, Any]:
    return next(u for u in store.accounts.users() if u["name"] == name)


@router.get("")
def list_users(store: StoreDep, who: AdminPrincipal) -> list[dict[str, Any]]:
    """(admin) Every user with role, stores, regions and whether they are disabled (never a password hash)."""
    return store.accounts.users()


@router.post("", status_code=201, dependencies=[Depends(require_csrf)])
def create_user(request: Request, body: UserIn, store: StoreDep, who: AdminPrincipal) -> dict[str, Any]:
    """(admin) Add a user; 409 when the name is taken. ``password`` in the answer only when the hub made it."""
    if store.accounts.find_user(body.name) is not None:
        raise AlreadyExists(f"name: user {body.name!r} exists already")
    if body.role == "admin" and (body.location_ids or body.region_ids):
        raise AccountError("location_ids/region_ids: an admin sees every location; they are for managers")
    password = body.password or new_password()
    add_user(
        store,
        body.name,
        role=body.role,
        password=password,
        now_ms=request.app.state.now_ms(),
        location_ids=body.location_ids,
        region_ids=body.region_ids,
    )
    audit(request, store, who, "user.create", body.name, **body.model_dump(exclude={"name", "password"}))
    out = user_row(store, body.name)
    return {**out, "password": None if body.password else password}


@router.patch("/{name}", dependencies=[Depends(require_csrf)])
def change_user(request: Request, name: str, body: UserPatch, store: StoreDep, who: AdminPrincipal) -> dict[str, Any]:
    """(admin) Change role, stores, regions, disable/enable, set or reset the password; the user's sessions end.
    Refused (422) when it would leave no enabled admin."""
    if store.accounts.find_user(name) is None:
        raise UnknownUser(f"no user {name[:80]!r}")
    made = new_password() if body.reset_password and body.password is None else None
    update_user(
        store,
        name,
        role=body.role,
        password=body.password or made,
        is_disabled=body.is_disabled,
        location_ids=body.location_ids,
        region_ids=body.region_ids,
    )
    changed = body.model_dump(exclude_unset=True, exclude={"password"})
    if body.password is not None:
        changed["password"] = "set"
    audit(request, store, who, "user.update", name, **changed)
    return {**user_row(store, name), "password": made}
