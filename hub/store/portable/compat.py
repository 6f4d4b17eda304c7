"""Raw rows for the HappyOrNot-compatible read API (``hub.api.happyornot``): ratings in time order, paged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.store.engine import Db, Engine
from hub.store.records import Scope

__all__ = ["FEEDBACK_FIELDS", "CompatReads", "Scope"]

FEEDBACK_FIELDS = "r.uuid, r.kiosk_id, r.time_ms, r.question, r.location_id, r.face, r.scale, r.misuse, r.reason"


class CompatReads:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    def feedbacks(
        self,
        scopes: Sequence[Scope],
        *,
        include_misuse: bool,
        questions: Sequence[str] | None,
        with_reason: bool,
        descending: bool,
        offset: int,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        """Ratings of the scopes by time (then kiosk and seq, so pages never overlap): ``FEEDBACK_FIELDS``, and
        for ``with_reason`` (follow-up answers only) the imported answer's question id, option id and text."""
        where: list[str] = []
        args: list[Any] = []
        for s in scopes:
            if s.location_ids:
                where.append(
                    f"(r.location_id IN ({','.join('?' * len(s.location_ids))}) AND r.local_day BETWEEN ? AND ?)"
                )
                args += [*s.location_ids, s.first.isoformat(), s.last.isoformat()]
        if not where:
            return []
        sql = f"SELECT {FEEDBACK_FIELDS}"
        if with_reason:
            sql += (
                ", f.question_id, f.option_id, f.option_text FROM ratings r LEFT JOIN import_followups f"
                " ON r.imported = 1 AND f.feedback_id = r.uuid"
            )
        else:
            sql += " FROM ratings r"
        sql += f" WHERE ({' OR '.join(where)})"
        if not include_misuse:
            sql += " AND r.misuse = 0"
        if with_reason:
            sql += " AND r.reason IS NOT NULL"
        if questions is not None:
            if not questions:
                return []  # an empty ``IN ()`` would match nothing on SQLite and is no SQL on PostgreSQL
            sql += f" AND r.question IN ({','.join('?' * len(questions))})"
            args += list(questions)
        direction = "DESC" if descending else "ASC"
        sql += f" ORDER BY r.time_ms {direction}, r.kiosk_id {direction}, r.seq {direction} LIMIT ? OFFSET ?"
        return self.conn.execute(sql, (*args, limit, offset)).fetchall()

    def questions(self, location_ids: Sequence[str]) -> list[str]:
        """The questions answered at these locations (for a ``surveyId`` filter)."""
        if not location_ids:
            return []
        rows = self.conn.execute(
            f"SELECT DISTINCT question FROM ratings WHERE location_id IN ({','.join('?' * len(location_ids))})"
            " ORDER BY question",
            tuple(location_ids),
        )
        return [r[0] for r in rows]
