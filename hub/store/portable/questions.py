"""Questions: their texts per language with history, and the counts of reports filtered by question.

A rating carries the id of the question it answered (``ratings.question``); the rollups pool every question, so
a report for one question counts the raw ratings (indexed by location, question and local day).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from hub.reports.flags import SQL as FLAGS_SQL
from hub.reports.flags import counted, left_out_as
from hub.store.engine import Db, Engine
from hub.store.records import PeriodCounts

Counts = dict[int, list[int]]


def _misuse(include_misuse: bool, include_closed: bool = False) -> str:
    """The condition on raw ratings for the answers a report counts (misuse, outside opening hours left out)."""
    return ("" if include_misuse else " AND misuse = 0") + ("" if include_closed else " AND closed = 0")


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _ids(n: int) -> str:
    """A CTE ``ids(id)`` of ``n`` bound location ids: the planner then seeks the index once per location."""
    return f"ids(id) AS (VALUES {', '.join('(?)' for _ in range(n))})"


class Questions:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    def record_texts(self, question_id: str, texts: Mapping[str, str], *, now_ms: int) -> int:
        """Remember the texts of a question from ``now_ms`` on, where they differ from its latest; returns how
        many languages changed."""
        changed = 0
        for language, text in texts.items():
            row = self.conn.execute(
                "SELECT text FROM question_texts WHERE question_id = ? AND language = ? ORDER BY since_ms DESC LIMIT 1",
                (question_id, language),
            ).fetchone()
            if row is None or row[0] != text:
                self.conn.execute(
                    "INSERT INTO question_texts (question_id, language, text, since_ms) VALUES (?,?,?,?)"
                    " ON CONFLICT (question_id, language, since_ms) DO UPDATE SET text = excluded.text",
                    (question_id, language, text, now_ms),
                )
                changed += 1
        return changed

    def history(self, question_ids: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
        """``{question_id: [{language, text, since_ms}, ...]}`` oldest first."""
        rows = self.conn.execute(
            "SELECT question_id, language, text, since_ms FROM question_texts ORDER BY question_id, since_ms, language"
        ).fetchall()
        out: dict[str, list[dict[str, Any]]] = {}
        for qid, language, text, since in rows:
            if question_ids is None or qid in question_ids:
                out.setdefault(qid, []).append({"language": language, "text": text, "since_ms": since})
        return out

    def was_asked(self, location_id: str, question: str) -> bool:
        """Whether the location ever got an answer to ``question``."""
        row = self.conn.execute(
            "SELECT 1 FROM ratings WHERE location_id = ? AND question = ? LIMIT 1", (location_id, question)
        ).fetchone()
        return row is not None

    def asked(
        self, location_id: str, first: date, last: date, *, include_misuse: bool, include_closed: bool = False
    ) -> list[tuple[str, str, str, int]]:
        """``(question_id, first local day, last local day, answers)`` of each question answered in the days."""
        return list(
            self.conn.execute(
                "SELECT question, min(local_day), max(local_day), count(*) FROM ratings WHERE location_id = ?"
                f" AND local_day BETWEEN ? AND ?{_misuse(include_misuse, include_closed)}"
                " GROUP BY question ORDER BY min(local_day)",
                (location_id, first.isoformat(), last.isoformat()),
            )
        )

    def daily(
        self,
        location_id: str,
        first: date,
        last: date,
        *,
        question: str | None,
        include_misuse: bool,
        include_closed: bool = False,
    ) -> list[tuple[str, str, int, int, int]]:
        """``(local_day, question_id, scale, face, n)`` rows, optionally of one question."""
        where = " AND question = ?" if question is not None else ""
        args: tuple[Any, ...] = (location_id, first.isoformat(), last.isoformat())
        return list(
            self.conn.execute(
                "SELECT local_day, question, scale, face, count(*) FROM ratings WHERE location_id = ?"
                f" AND local_day BETWEEN ? AND ?{_misuse(include_misuse, include_closed)}{where}"
                " GROUP BY local_day, question, scale, face ORDER BY local_day",
                (*args, question) if question is not None else args,
            )
        )

    def hour_cells(
        self,
        location_id: str,
        first: date,
        last: date,
        *,
        question: str,
        include_misuse: bool,
        include_closed: bool = False,
    ) -> list[tuple[int, int, int, int, int]]:
        """``(ISO weekday, local hour, scale, face, n)`` of one question's answers."""
        return list(
            self.conn.execute(
                f"SELECT {self.engine.iso_weekday('local_day')}, local_hour, scale, face, count(*)"
                " FROM ratings WHERE location_id = ? AND question = ?"
                f" AND local_day BETWEEN ? AND ?{_misuse(include_misuse, include_closed)} GROUP BY 1, 2, 3, 4",
                (location_id, question, first.isoformat(), last.isoformat()),
            )
        )

    def answered_at(self, location_ids: list[str], question: str) -> set[str]:
        """Which of the locations ever got an answer to ``question`` (one index seek each)."""
        if not location_ids:
            return set()
        rows = self.conn.execute(
            f"WITH {_ids(len(location_ids))} SELECT id FROM ids WHERE EXISTS"
            " (SELECT 1 FROM ratings r WHERE r.location_id = ids.id AND r.question = ?)",
            (*location_ids, question),
        )
        return {r[0] for r in rows}

    def answered_in(self, location_ids: list[str], first: date, last: date) -> dict[str, set[str]]:
        """``{location: questions}`` answered there in the local days (misuse too), by the same index walk as
        ``asked_at``: a few seeks per location and question, whatever the number of answers."""
        out: dict[str, set[str]] = {}
        if not location_ids:
            return out
        rows = self.conn.execute(
            f"WITH RECURSIVE {_ids(len(location_ids))},"
            " q(loc, question) AS ("
            " SELECT id, (SELECT min(question) FROM ratings WHERE location_id = ids.id) FROM ids"
            " UNION ALL SELECT loc, (SELECT min(question) FROM ratings WHERE location_id = q.loc"
            " AND question > q.question) FROM q WHERE q.question IS NOT NULL)"
            " SELECT loc, question FROM q WHERE question IS NOT NULL AND EXISTS (SELECT 1 FROM ratings r"
            " WHERE r.location_id = q.loc AND r.question = q.question AND r.local_day BETWEEN ? AND ?)",
            (*location_ids, first.isoformat(), last.isoformat()),
        )
        for loc, question in rows:
            out.setdefault(loc, set()).add(question)
        return out

    def asked_at(
        self, location_ids: list[str], first: date, last: date, *, include_misuse: bool, include_closed: bool = False
    ) -> list[tuple[str, str, str, int]]:
        """``(question_id, first local day, last local day, locations)`` of each question answered in the days at
        any of the locations, first asked first.

        Walks the index: each location's distinct questions by skipping from one to the next, then the first and
        last answer in the days of each; the cost grows with locations × questions, not with the answers.
        """
        if not location_ids:
            return []
        misuse = _misuse(include_misuse, include_closed)
        days = (first.isoformat(), last.isoformat())
        return list(
            self.conn.execute(
                f"WITH RECURSIVE {_ids(len(location_ids))},"
                " q(loc, question) AS ("
                " SELECT id, (SELECT min(question) FROM ratings WHERE location_id = ids.id) FROM ids"
                " UNION ALL SELECT loc, (SELECT min(question) FROM ratings WHERE location_id = q.loc"
                " AND question > q.question) FROM q WHERE q.question IS NOT NULL),"
                " spans(question, first_day, last_day) AS (SELECT q.question,"
                " (SELECT local_day FROM ratings r WHERE r.location_id = q.loc AND r.question = q.question"
                f" AND r.local_day BETWEEN ? AND ?{misuse} ORDER BY r.local_day LIMIT 1),"
                " (SELECT local_day FROM ratings r WHERE r.location_id = q.loc AND r.question = q.question"
                f" AND r.local_day BETWEEN ? AND ?{misuse} ORDER BY r.local_day DESC LIMIT 1)"
                " FROM q WHERE q.question IS NOT NULL)"
                " SELECT question, min(first_day), max(last_day), count(*) FROM spans WHERE first_day IS NOT NULL"
                " GROUP BY question ORDER BY min(first_day), question",
                (*location_ids, *days, *days),
            )
        )

    def period_counts(
        self,
        location_ids: list[str],
        periods: list[tuple[date, date]],
        *,
        question: str,
        include_misuse: bool,
        include_closed: bool = False,
    ) -> dict[tuple[str, int], PeriodCounts]:
        """``{(location, period index): PeriodCounts}`` of one question's answers, the shape of
        ``Reads.period_counts`` (which pools every question), counted from the raw ratings."""
        out: dict[tuple[str, int], PeriodCounts] = {}
        if not location_ids:
            return out
        kept = counted(include_misuse=include_misuse, include_closed=include_closed)
        for i, (first, last) in enumerate(periods):
            rows = self.conn.execute(
                f"SELECT location_id, scale, face, {FLAGS_SQL}, count(*) FROM ratings"
                f" WHERE location_id IN ({_marks(len(location_ids))}) AND question = ? AND local_day BETWEEN ? AND ?"
                f" GROUP BY location_id, scale, face, {FLAGS_SQL}",
                (*location_ids, question, first.isoformat(), last.isoformat()),
            )
            for loc, scale, face, flags, n in rows:
                got = out.get((loc, i)) or PeriodCounts({})
                if flags in kept:
                    got.by_scale.setdefault(scale, [0] * scale)[face] += n
                    out[(loc, i)] = got
                elif left_out_as(flags, include_misuse=include_misuse) == "misuse":
                    out[(loc, i)] = got._replace(misuse_excluded=got.misuse_excluded + n)
                else:
                    out[(loc, i)] = got._replace(closed_excluded=got.closed_excluded + n)
        return out

    def kiosk_cells(
        self,
        location_id: str,
        first: date,
        last: date,
        *,
        question: str,
        include_misuse: bool,
        include_closed: bool = False,
    ) -> list[tuple[str, int, int, int]]:
        """``(kiosk_id, scale, face, n)`` of one question's answers at the location (a moved kiosk where it stood)."""
        return list(
            self.conn.execute(
                "SELECT kiosk_id, scale, face, count(*) FROM ratings WHERE location_id = ? AND question = ?"
                f" AND local_day BETWEEN ? AND ?{_misuse(include_misuse, include_closed)}"
                " GROUP BY kiosk_id, scale, face",
                (location_id, question, first.isoformat(), last.isoformat()),
            )
        )

    def unhappy_reasons(
        self,
        location_id: str,
        first: date,
        last: date,
        *,
        question: str,
        include_misuse: bool,
        include_closed: bool = False,
    ) -> tuple[int, list[tuple[str, int]]]:
        """One question's unhappy answers (faces below the middle of the scale) and ``(reason, n)`` given with
        them, most frequent first (``Reads.unhappy_reasons`` for every question)."""
        where = (
            "WHERE location_id = ? AND question = ? AND local_day BETWEEN ? AND ?"
            f" AND face * 2 < scale - 1{_misuse(include_misuse, include_closed)}"
        )
        args = (location_id, question, first.isoformat(), last.isoformat())
        unhappy = self.conn.execute(f"SELECT count(*) FROM ratings {where}", args).fetchone()[0]
        rows = self.conn.execute(
            f"SELECT reason, count(*) FROM ratings {where} AND reason IS NOT NULL"
            " GROUP BY reason ORDER BY count(*) DESC, reason",
            args,
        )
        return int(unhappy), [(r, int(n)) for r, n in rows]
