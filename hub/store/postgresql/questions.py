"""Questions: their texts per language with history, and the counts of reports filtered by question.

A rating carries the id of the question it answered (``ratings.question``); the rollups pool every question, so
a report for one question counts the raw ratings (indexed by location, question and local day).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from hub.store.postgresql.connection import Conn

Counts = dict[int, list[int]]


def _misuse(include_misuse: bool, include_closed: bool = False) -> str:
    """The condition on raw ratings for the answers a report counts (misuse, outside opening hours left out)."""
    return ("" if include_misuse else " AND misuse = 0") + ("" if include_closed else " AND closed = 0")


class Questions:
    def __init__(self, conn: Conn) -> None:
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
                "SELECT extract(isodow FROM local_day::date)::int, local_hour, scale, face, count(*)"
                " FROM ratings WHERE location_id = ? AND question = ?"
                f" AND local_day BETWEEN ? AND ?{_misuse(include_misuse, include_closed)} GROUP BY 1, 2, 3, 4",
                (location_id, question, first.isoformat(), last.isoformat()),
            )
        )
