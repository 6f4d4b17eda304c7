"""Identifiers that travel in MQTT topics and broker usernames.

Restricted to ``[a-z0-9-]``: ``+``, ``#`` or ``/`` in a username could subvert pattern ACLs
(CVE-2017-7650), so every id is checked where it enters the system.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62})$")


class InvalidId(ValueError):
    """An id that is not 1–63 characters of ``[a-z0-9-]`` starting with a letter or digit."""


def check_id(value: object, *, what: str = "id") -> str:
    """Return ``value`` if it is a safe id, else raise :class:`InvalidId` naming ``what``."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidId(
            f"{what} {value!r} is not valid: use 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit"
        )
    return value


@lru_cache(maxsize=65_536)
def _matches(value: str) -> bool:
    return bool(_ID.match(value))


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and _matches(value)
