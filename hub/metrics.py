"""Process-wide counters and gauges rendered as Prometheus text."""

from __future__ import annotations

import threading
from collections import Counter


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
        self._gauges: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._help: dict[str, str] = {}

    def inc(self, name: str, n: float = 1, *, help: str = "", **labels: str) -> None:
        with self._lock:
            self._counters[(name, tuple(sorted(labels.items())))] += n  # type: ignore[assignment]
            if help:
                self._help.setdefault(name, help)

    def set(self, name: str, value: float, *, help: str = "", **labels: str) -> None:
        with self._lock:
            self._gauges[(name, tuple(sorted(labels.items())))] = value
            if help:
                self._help.setdefault(name, help)

    def value(self, name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            return self._counters.get(key, 0) or self._gauges.get(key, 0.0)

    def labels_of(self, name: str, label: str) -> frozenset[str]:
        """The values of ``label`` among the series of gauge ``name``."""
        with self._lock:
            return frozenset(dict(labels)[label] for n, labels in self._gauges if n == name and label in dict(labels))

    def render(self, extra: dict[str, float] | None = None) -> str:
        with self._lock:
            counters = dict(self._counters)
            gauges = dict(self._gauges)
            helps = dict(self._help)
        lines: list[str] = []
        seen: set[str] = set()
        for kind, items in (("counter", counters), ("gauge", gauges)):
            for (name, labels), value in sorted(items.items()):
                if name not in seen:
                    seen.add(name)
                    if name in helps:
                        lines.append(f"# HELP {name} {helps[name]}")
                    lines.append(f"# TYPE {name} {kind}")
                label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
                lines.append(f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}")
        for name, value in sorted((extra or {}).items()):
            lines.append(f"# TYPE {name} gauge")
            lines.append(f"{name} {value:g}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
