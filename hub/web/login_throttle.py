"""Slowing down password guessing: after 5 failed sign-ins for a name within 15 minutes, that name is locked
for 5 minutes (whatever password is tried). In memory, per hub process; argon2 already costs each try ~50 ms.
"""

from __future__ import annotations

import threading
from collections import deque

MAX_FAILURES = 5
WINDOW_MS = 15 * 60_000
LOCK_MS = 5 * 60_000
MAX_NAMES = 10_000  # bounded memory under a spray of made-up names


class LoginThrottle:
    def __init__(self, *, max_failures: int = MAX_FAILURES, window_ms: int = WINDOW_MS, lock_ms: int = LOCK_MS) -> None:
        self.max_failures, self.window_ms, self.lock_ms = max_failures, window_ms, lock_ms
        self._failures: dict[str, deque[int]] = {}
        self._locked_until: dict[str, int] = {}
        self._lock = threading.Lock()

    def is_locked(self, name: str, *, now_ms: int) -> bool:
        with self._lock:
            return self._locked_until.get(name, 0) > now_ms

    def failed(self, name: str, *, now_ms: int) -> None:
        with self._lock:
            if len(self._failures) >= MAX_NAMES and name not in self._failures:
                self._failures.pop(next(iter(self._failures)))
            times = self._failures.setdefault(name, deque())
            times.append(now_ms)
            while times and times[0] <= now_ms - self.window_ms:
                times.popleft()
            if len(times) >= self.max_failures:
                self._locked_until[name] = now_ms + self.lock_ms
                times.clear()

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)
            self._locked_until.pop(name, None)
