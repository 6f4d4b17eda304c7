"""Who is asking and what they may see: the principal every page, API route and export filters by."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "manager")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, and which locations they may see (``None`` = all)."""

    name: str
    role: str
    location_ids: frozenset[str] | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see(self, location_id: str) -> bool:
        return self.location_ids is None or location_id in self.location_ids
