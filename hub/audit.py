"""What goes into the audit log besides the change itself: who made it from the command line, and its detail
with every secret taken out (passwords, PINs, tokens, the password in a URL), for the API and the CLI alike."""

from __future__ import annotations

import getpass
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HIDDEN = "[hidden]"
MARKERS = frozenset({HIDDEN, "set"})  # what a caller records instead of a secret ("password": "set")
SECRET_WORDS = frozenset({"password", "passwords", "pin", "token", "tokens", "secret", "hash"})
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*=")


def cli_actor() -> str:
    """``cli:<OS user name>``; ``cli`` when the OS does not know the user (a container without a passwd entry)."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "cli"
    return f"cli:{name}" if name else "cli"


def is_secret(key: str) -> bool:
    """A key naming a secret (``password``, ``staff_pin``, ``staff_pin_hash``, ``api_token``, …)."""
    return any(part in SECRET_WORDS for part in re.split(r"[^a-z0-9]+", key.lower()))


def _text(value: str) -> str:
    m = _ASSIGNMENT.match(value)
    if m and is_secret(m.group(1)):  # a CLI ``--set staff_pin=1234``
        return f"{m.group(1)}={HIDDEN}"
    if "://" in value and "@" in value:
        try:
            parts = urlsplit(value)
            if parts.password is not None:
                netloc = f"{parts.username}:{HIDDEN}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
                return urlunsplit(parts._replace(netloc=netloc))
        except ValueError:
            return HIDDEN
    return value


def without_secrets(value: Any, *, key: str = "") -> Any:
    """``value`` with the values of secret keys replaced by ``[hidden]`` (booleans, ``None`` and the marker
    ``"set"`` kept: that a password was reset is no secret), at any depth; ``KEY=VALUE`` texts and URL passwords
    likewise."""
    if isinstance(value, dict):
        return {k: without_secrets(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_secrets(v, key=key) for v in value]
    if key and is_secret(key) and value is not None and not isinstance(value, bool) and value not in MARKERS:
        return HIDDEN
    if isinstance(value, str):
        return _text(value)
    return value
