"""An answer's flags, as the rollups hold them in one small integer: misuse (the hub's tap-interval rule) and
outside opening hours (the store was closed, by its opening hours, at the tap's local time). Flagged answers are
kept and counted apart; reports leave them out unless asked to include them."""

from __future__ import annotations

MISUSE = 1
OUTSIDE_HOURS = 2
VALUES = (0, MISUSE, OUTSIDE_HOURS, MISUSE | OUTSIDE_HOURS)
# a raw rating's flags in SQL, from its ``misuse`` and ``closed`` columns (0/1 each), as the rollups hold them
SQL = f"misuse * {MISUSE} + closed * {OUTSIDE_HOURS}"


def flags_of(*, misuse: bool | int, closed: bool | int) -> int:
    return (MISUSE if misuse else 0) | (OUTSIDE_HOURS if closed else 0)


def counted(*, include_misuse: bool, include_closed: bool) -> tuple[int, ...]:
    """The flag values a report counts."""
    left_out = (0 if include_misuse else MISUSE) | (0 if include_closed else OUTSIDE_HOURS)
    return tuple(v for v in VALUES if not v & left_out)


def left_out_as(value: int, *, include_misuse: bool) -> str | None:
    """Why an answer with flags ``value`` is left out: ``"misuse"`` first, then ``"closed"`` (None: counted).
    Each left-out answer is named once, so the two figures add up to all that is left out."""
    if value & MISUSE and not include_misuse:
        return "misuse"
    if value & OUTSIDE_HOURS:
        return "closed"
    return None
