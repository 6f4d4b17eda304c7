"""Reading HappyOrNot exports: JSON (an array of objects, or one object per line) and CSV with any one-character
separator (their ``csvSeparator``), with or without a byte-order mark. Which export a file holds is told by its
columns, never by its name.

Rows come out as ``(line, fields, fraction read)``: ``line`` is the CSV line (1 = the header) or the JSON item
(1 = the first), and ``skip`` passes over rows an earlier run committed without looking at them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from hub.errors import BadImportFile

BUTTON, FOLLOWUP, EXPERIENCE_POINT, SURVEY = "button feedbacks", "follow-up feedbacks", "experience points", "surveys"
KINDS = (EXPERIENCE_POINT, SURVEY, BUTTON, FOLLOWUP)  # the order files are imported in
_COLUMNS_OF = [  # the first kind whose columns a file has
    (FOLLOWUP, {"feedbackId", "followupOptionId"}),
    (BUTTON, {"feedbackId", "buttonIndex"}),
    (SURVEY, {"surveyId", "feedbackScale"}),
    (EXPERIENCE_POINT, {"experiencePointId", "name", "type"}),
]
Row = tuple[int, dict[str, Any], float]


@dataclass(frozen=True, slots=True)
class Source:
    """One export file: its kind, format and (for CSV) separator."""

    path: Path
    kind: str
    is_json: bool
    separator: str
    size: int


def kind_of(columns: set[str], path: Path) -> str:
    for kind, needed in _COLUMNS_OF:
        if needed <= columns:
            return kind
    raise BadImportFile(
        f"{path.name}: not a HappyOrNot export of button feedbacks, follow-up feedbacks, experience points or"
        f" surveys (columns: {', '.join(sorted(columns)[:12]) or 'none'})"
    )


def separator_of(header: str) -> str:
    """The separator of a CSV header line: the first character that cannot be part of a column name."""
    for ch in header:
        if not (ch.isalnum() or ch in '_" '):
            return ch
    return ","


def open_source(path: Path) -> Source:
    """:raises BadImportFile: unreadable, empty, or not a known export"""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(65536)
    except OSError as exc:
        raise BadImportFile(f"{path.name}: cannot read it ({exc.strerror})") from exc
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if not text:
        raise BadImportFile(f"{path.name}: the file is empty")
    if text[0] in "[{":
        first = next(_json_items(path), None)
        columns = set(first[1]) if first is not None and isinstance(first[1], dict) else set()
        return Source(path, kind_of(columns, path), True, ",", size)
    header = text.splitlines()[0]
    sep = separator_of(header)
    columns = {c.strip().strip('"') for c in header.split(sep)}
    return Source(path, kind_of(columns, path), False, sep, size)


def _json_items(path: Path) -> Iterator[tuple[int, Any]]:
    raw = path.read_bytes().decode("utf-8-sig", errors="replace")
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError:
        doc = None
    if isinstance(doc, list):
        yield from enumerate(doc, start=1)
        return
    if isinstance(doc, dict):
        yield 1, doc
        return
    for n, line in enumerate(raw.splitlines(), start=1):  # JSON Lines: one object per line
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            if n == 1:
                raise BadImportFile(f"{path.name}: not JSON ({exc.msg} at line 1)") from exc
            yield n, exc.msg


def _lines(f: BinaryIO, counter: list[int]) -> Iterator[str]:
    for raw in f:
        counter[0] += len(raw)
        yield raw.decode("utf-8-sig" if counter[0] == len(raw) else "utf-8", errors="replace")


def rows(source: Source, *, skip: int = 0) -> Iterator[Row]:
    """The data rows after the first ``skip``; a row that is not an object of the header's columns comes out with
    ``fields = {"": reason}`` so the importer refuses it and goes on."""
    if source.is_json:
        items = list(_json_items(source.path))
        total = max(len(items), 1)
        for i, (line, item) in enumerate(items[skip:], start=skip + 1):
            fields = item if isinstance(item, dict) else {"": f"item {line} is not an object"}
            yield line, fields, i / total
        return
    read = [0]
    with source.path.open("rb") as f:
        reader = csv.reader(_lines(f, read), delimiter=source.separator)
        header = [c.strip() for c in next(reader, [])]
        n = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                n += 1
                if n > skip:
                    yield reader.line_num, {"": f"unreadable CSV ({exc})"}, read[0] / max(source.size, 1)
                continue
            if not cells:
                continue
            n += 1
            if n <= skip:
                continue
            if len(cells) != len(header):
                row: dict[str, Any] = {"": f"{len(cells)} fields where the header has {len(header)}"}
            else:
                row = dict(zip(header, cells, strict=True))
            yield reader.line_num, row, read[0] / max(source.size, 1)
