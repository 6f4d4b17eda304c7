"""Importing a HappyOrNot history: experience points, surveys, button and follow-up feedbacks, in that order.

Every row is mapped (``hub.imports.mapping``) and stored in batches, each one transaction with the file's progress
(``store.imports``): a second run of the same file under the same mapping resumes after the last committed row, and
a feedback already imported (same ``feedbackId``) is counted as a duplicate, never stored twice. Refused rows are
kept with their reason and summarised.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import BadMapping
from hub.imports import fields as f
from hub.imports.mapping import Mapping, instant_ms
from hub.imports.readers import BUTTON, EXPERIENCE_POINT, FOLLOWUP, KINDS, SURVEY, Source, open_source, rows
from hub.store import Store
from hub.store.records import FileState, ImportedFollowup, ImportedRating, Location, Refusal

BATCH_ROWS = 5000
PREFIX = "hon-"  # ids of stores, regions, devices and questions made by an import: hon-<HappyOrNot id>


@dataclass(frozen=True, slots=True)
class Progress:
    name: str
    rows: int
    fraction: float  # of the file read, 0..1


@dataclass(slots=True)
class FileSummary:
    name: str
    kind: str
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    examples: list[Refusal] = field(default_factory=list)
    resumed_after: int = 0
    was_done: bool = False

    def lines(self) -> list[str]:
        kept = "kept" if self.kind == FOLLOWUP else "stored"
        head = f"{self.name} ({self.kind}): "
        if self.was_done:
            head += "already imported under this mapping, nothing changed; "
        head += f"{self.rows:,} rows: {self.stored:,} {kept}, {self.duplicates:,} duplicates, "
        head += f"{sum(self.refused.values()):,} refused"
        if self.resumed_after and not self.was_done:
            head += f" (resumed after row {self.resumed_after:,})"
        out = [head]
        if self.refused:
            out.append("  refused: " + ", ".join(f"{reason} {n:,}" for reason, n in sorted(self.refused.items())))
        out += [f"  line {r.line}: {r.reason}: {r.detail}" for r in self.examples]
        return out


@dataclass(slots=True)
class Summary:
    files: list[FileSummary] = field(default_factory=list)
    waiting_followups: int = 0

    def lines(self) -> list[str]:
        out = [line for s in self.files for line in s.lines()]
        if self.waiting_followups:
            out.append(f"follow-up answers waiting for their button feedback: {self.waiting_followups:,}")
        return out


def file_key(path: Path, kind: str, mapping: Mapping) -> str:
    """The file's contents, kind and mapping: progress is resumed only for exactly this import."""
    digest = hashlib.sha256(f"{kind}\n{mapping.key()}\n".encode())
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Importer:
    def __init__(
        self,
        store: Store,
        mapping: Mapping,
        *,
        now_ms: int,
        on_progress: Callable[[Progress], None] | None = None,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self.store, self.mapping, self.now_ms = store, mapping, now_ms
        self.on_progress = on_progress or (lambda p: None)
        self.batch_rows = batch_rows
        self._locations: dict[int, Location | None] = {}
        self._names: dict[int, str] = {}
        self._regions: dict[int, str] = {}
        self._smileys: set[int] = set()
        self._surveys: dict[int, tuple[int | None, str]] = {}
        self._survey_scales = {
            fid: int(detail) for fid, _, detail in store.imports.foreign_rows("survey") if detail is not None
        }
        for ep, target in mapping.experience_points.items():
            if target.location_id is not None and store.registry.find_location(target.location_id) is None:
                raise BadMapping(f"experience_points.{ep}: there is no store {target.location_id!r}")

    def run(self, paths: Sequence[Path]) -> Summary:
        """Import the files (any order given; imported in the order experience points, surveys, feedbacks).

        :raises BadImportFile: a file is not a known export (nothing of it was read)
        """
        sources = sorted((open_source(p) for p in paths), key=lambda s: KINDS.index(s.kind))
        with self.store.imports.larger_cache():
            summary = Summary([self._file(s) for s in sources])
        summary.waiting_followups = self.store.imports.waiting_followups()
        return summary

    def _file(self, source: Source) -> FileSummary:
        imports = self.store.imports
        key = file_key(source.path, source.kind, self.mapping)
        state = imports.file_state(key, name=source.path.name, kind=source.kind, now_ms=self.now_ms)
        out = FileSummary(source.path.name, source.kind, resumed_after=state.rows_done, was_done=state.is_finished)
        if not state.is_finished:
            if source.kind in (EXPERIENCE_POINT, SURVEY):
                self._small_file(source, state)
            else:
                self._feedbacks(source, state)
            imports.finish_file(key, now_ms=self.now_ms)
        out.rows, out.stored, out.duplicates = state.rows_done, state.stored, state.duplicates
        out.refused = imports.refusal_counts(key)
        out.examples = imports.refusals(key, limit=5)
        return out

    # ------------------------------------------------------------------------------------------ small files
    def _small_file(self, source: Source, state: FileState) -> None:
        """Experience points or surveys: read whole (they are small), always from the top (mapping them twice
        changes nothing)."""
        refusals: list[Refusal] = []
        points: list[tuple[int, f.ExperiencePoint]] = []
        n = 0
        for line, row, _ in rows(source):
            n += 1
            try:
                if source.kind == SURVEY:
                    self._survey_row(f.parse_survey(row))
                else:
                    points.append((line, f.parse_experience_point(row)))
            except f.RowRefused as exc:
                refusals.append(Refusal(line, exc.reason, exc.detail))
        for _, p in points:
            if p.is_group:
                self.store.registry.add_region(PREFIX + str(p.id), name=p.name)
                self.store.imports.put_foreign_id("group", p.id, PREFIX + str(p.id))
                self._names[p.id] = p.name
        groups = {p.id for _, p in points if p.is_group}
        for line, p in points:
            if p.is_group:
                continue
            self._names[p.id] = p.name
            if p.parent in groups:
                self._regions[p.id] = PREFIX + str(p.parent)
            try:
                self._location(p.id)
            except f.RowRefused as exc:
                refusals.append(Refusal(line, exc.reason, exc.detail))
        self.store.imports.store_ratings(state, [], refusals, rows_done=n, now_ms=self.now_ms)
        self.on_progress(Progress(source.path.name, n, 1.0))

    def _survey_row(self, s: f.Survey) -> None:
        target = self.mapping.surveys.get(s.id)
        question = target.question if target and target.question else PREFIX + str(s.id)
        self.store.imports.put_foreign_id("survey", s.id, question, detail=str(s.scale))
        self._survey_scales[s.id] = s.scale
        self._surveys.pop(s.id, None)

    # ------------------------------------------------------------------------------------------ mapping
    def _location(self, ep: int) -> Location:
        if ep in self._locations:
            known = self._locations[ep]
            if known is None:
                raise f.RowRefused("no_timezone", f"experience point {ep} has no store yet: give a time zone for it")
            return known
        registry = self.store.registry
        target = self.mapping.experience_points.get(ep)
        loc: Location | None = None
        if target is not None and target.location_id is not None:
            loc = registry.location(target.location_id)
        else:
            earlier = dict((fid, ours) for fid, ours, _ in self.store.imports.foreign_rows("experience_point"))
            loc = registry.find_location(earlier.get(ep, PREFIX + str(ep)))
        if loc is None:
            tz = (target.timezone if target else None) or self.mapping.timezone
            if tz is None:
                self._locations[ep] = None
                return self._location(ep)
            name = (target.name if target else None) or self._names.get(ep) or f"HappyOrNot {ep}"
            loc = registry.add_location(
                PREFIX + str(ep), name=name, timezone=tz, now_ms=self.now_ms, region_id=self._regions.get(ep)
            )
        self.store.imports.put_foreign_id("experience_point", ep, loc.id)
        self._locations[ep] = loc
        return loc

    def _survey(self, survey_id: int) -> tuple[int | None, str]:
        """``(scale, question)`` of a survey (scale ``NPS`` for an NPS survey, None when nothing says)."""
        if survey_id not in self._surveys:
            target = self.mapping.surveys.get(survey_id)
            question = target.question if target and target.question else PREFIX + str(survey_id)
            scale = (target.scale if target else None) or self._survey_scales.get(survey_id)
            self.store.imports.put_foreign_id("survey", survey_id, question)
            self._surveys[survey_id] = (scale, question)
        return self._surveys[survey_id]

    def _rating(self, b: f.ButtonFeedback) -> ImportedRating:
        scale, question = self._survey(b.survey_id)
        if scale == f.NPS or b.button_index >= 5:
            raise f.RowRefused(
                "nps", f"buttonIndex {b.button_index} of survey {b.survey_id} is an NPS answer (0-10): not imported"
            )
        if scale is None:
            raise f.RowRefused(
                "unknown_scale",
                f"survey {b.survey_id}'s scale is unknown: import its surveys export, or give it in the mapping",
            )
        if b.button_index >= scale:
            raise f.RowRefused(
                "out_of_scale", f"buttonIndex {b.button_index} is beyond survey {b.survey_id}'s {scale} faces"
            )
        loc = self._location(b.experience_point_id)
        if b.smiley_id not in self._smileys:
            if self.store.registry.find_kiosk(PREFIX + str(b.smiley_id)) is not None:
                raise f.RowRefused("device_id_taken", f"a kiosk registered here is called {PREFIX}{b.smiley_id}")
            self.store.imports.put_foreign_id("smiley", b.smiley_id, PREFIX + str(b.smiley_id), detail=b.smiley_type)
            self._smileys.add(b.smiley_id)
        return ImportedRating(
            feedback_id=b.feedback_id,
            kiosk_id=PREFIX + str(b.smiley_id),
            location_id=loc.id,
            timezone=loc.timezone,
            time_ms=instant_ms(b.local_time, loc.timezone),
            face=b.button_index,
            scale=scale,
            question=question,
            is_misuse=b.is_misuse,
        )

    # ------------------------------------------------------------------------------------------ feedbacks
    def _feedbacks(self, source: Source, state: FileState) -> None:
        is_button = source.kind == BUTTON
        ratings: list[ImportedRating] = []
        followups: list[ImportedFollowup] = []
        refusals: list[Refusal] = []
        done = state.rows_done

        def flush(fraction: float) -> None:
            if is_button:
                self.store.imports.store_ratings(state, ratings, refusals, rows_done=done, now_ms=self.now_ms)
            else:
                self.store.imports.store_followups(state, followups, refusals, rows_done=done)
            ratings.clear()
            followups.clear()
            refusals.clear()
            self.on_progress(Progress(source.path.name, done, fraction))

        for line, row, fraction in rows(source, skip=state.rows_done):
            done += 1
            try:
                if is_button:
                    ratings.append(self._rating(f.parse_button(row)))
                else:
                    fu = f.parse_followup(row)
                    followups.append(ImportedFollowup(fu.feedback_id, fu.question_id, fu.option_id, fu.text))
            except f.RowRefused as exc:
                refusals.append(Refusal(line, exc.reason, exc.detail))
            if done - state.rows_done >= self.batch_rows:
                flush(fraction)
        flush(1.0)
