"""Password and token hashing.

Broker passwords use Mosquitto 2's own format (``$7$`` = PBKDF2-SHA512, 101 iterations, 12-byte salt) so the
generated password file is read by the broker as is; kiosk passwords are 256-bit random tokens, so the
broker's iteration count is no weakness. API tokens are random too and stored as SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

MOSQUITTO_ITERATIONS = 101


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def mosquitto_hash(password: str, *, salt: bytes | None = None, iterations: int = MOSQUITTO_ITERATIONS) -> str:
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def mosquitto_verify(password: str, hashed: str) -> bool:
    try:
        _, alg, iterations, salt, digest = hashed.split("$")
    except ValueError:
        return False
    if alg != "7":
        return False
    calc = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(base64.b64encode(calc).decode(), digest)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def write_private(path: Path, data: bytes | str) -> None:
    """Write a file only its owner may read (mode 0600), atomically: temp file, fsync, rename."""
    raw = data.encode() if isinstance(data, str) else data
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(raw)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
