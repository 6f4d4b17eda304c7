"""The query parameters every report route shares, as FastAPI class dependencies: the range and which flagged
answers to count. (No ``from __future__ import annotations`` here: FastAPI reads these classes' signatures, and
their annotations must be objects, not strings.)"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends

from hub.api.deps import ClosedQ, FromQ, MisuseQ, RangeQ, ToQ, period_for
from hub.reports import ranges


@dataclass(frozen=True)
class RangeParams:
    """The range a report route reads: a preset, or custom first and last local days."""

    range_: RangeQ = None
    from_: FromQ = None
    to: ToQ = None

    def period(self, today_: date) -> ranges.Period:
        """:raises BadRange: (a 422) for an unknown preset or bad days"""
        return period_for(today_, self.range_, self.from_, self.to)


@dataclass(frozen=True)
class Counted:
    """Which flagged answers a report counts (both kinds are left out by default)."""

    include_misuse: MisuseQ = False
    include_closed: ClosedQ = False

    @property
    def kw(self) -> dict[str, bool]:
        """The report functions' keyword arguments: ``include_misuse``, ``include_closed``."""
        return {"include_misuse": self.include_misuse, "include_closed": self.include_closed}


RangeDep = Annotated[RangeParams, Depends()]
CountedDep = Annotated[Counted, Depends()]
