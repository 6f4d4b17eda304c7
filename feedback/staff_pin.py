"""The staff PIN, stored as a salted PBKDF2 hash and compared in constant time (stdlib only).

``hash_pin`` is what whoever issues a PIN (the hub's ``kiosk add``) writes into the kiosk's settings as
``staff_pin_hash``; the kiosk checks an entered PIN with ``pin_matches``. A 4-8 digit PIN is no password:
the hash keeps it out of config files and the hub's settings table, and the kiosk's three tries per
corner-hold limit guessing at the glass.
"""

from __future__ import annotations

import hashlib
import hmac

ITERATIONS = 100_000


def hash_pin(pin: str, *, salt: bytes, iterations: int = ITERATIONS) -> str:
    """``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``; pass 16 random bytes (``secrets.token_bytes``)."""
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def pin_matches(entered: str, *, pin: str | None, pin_hash: str | None) -> bool:
    """True when ``entered`` is the configured PIN; the hash wins when both are set; False when neither is."""
    if pin_hash is not None:
        _, iterations, salt, expected = pin_hash.split("$")
        digest = hashlib.pbkdf2_hmac("sha256", entered.encode(), bytes.fromhex(salt), int(iterations))
        return hmac.compare_digest(digest.hex(), expected)
    if pin is not None:
        return hmac.compare_digest(entered.encode(), pin.encode())
    return False
