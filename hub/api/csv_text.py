"""CSV as spreadsheets read it: UTF-8 with a byte order mark (so Excel does not garble "Göteborg"), CRLF lines,
and either separator: ``comma``, or ``semicolon`` as Excel in the Nordic countries (and much of Europe) expects,
with a decimal comma in numbers.

A text field holding ``,`` ``;`` ``"`` CR or LF is quoted (RFC 4180). Quoting protects only the parser using our
separator: one that splits on the other separator (or on a line break inside quotes it does not see) starts a
new cell in the middle of our field. So every place a cell can start under either separator (the field's start,
and after each ``,`` ``;`` TAB CR LF inside it, behind spaces and quotes) gets a ``'`` before a formula character
(= + - @), which spreadsheets show as text. Reasons and question ids with control characters are refused at
ingest (``feedback.rating``); this defuses what older hubs stored, and store names.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

BOM = "\ufeff"
SEPARATORS = {"comma": ",", "semicolon": ";"}
CHUNK_ROWS = 2000
# a formula character where some spreadsheet could start a cell: the field's start, or after a separator of
# either convention or a line break, behind any spaces and quotes (a quoted cell is unquoted before it is read)
_CELL_STARTING_FORMULA = re.compile(r"(^|[,;\t\r\n])([\s\"]*)([=+\-@])")
_NEEDS_QUOTES = re.compile(r"[,;\"\r\n]|^\s|\s$")


def safe_cell(value: Any) -> Any:
    """Text with ``'`` before every formula character that could start a cell (see the module docstring)."""
    if isinstance(value, str):
        return _CELL_STARTING_FORMULA.sub(r"\1\2'\3", value)
    return value


def csv_field(value: Any, separator: str = ",") -> str:
    """One field: numbers as they are (a decimal comma under ``;``), None as empty, text quoted when it holds
    , ; " CR LF or edge spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and separator == ";":
        return repr(value).replace(".", ",")
    text = str(value)
    if isinstance(value, str) and _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_lines(rows: Iterator[list[Any]], header: list[str], *, separator: str = ",") -> Iterator[str]:
    """The document in chunks of ``CHUNK_ROWS`` lines, the BOM and header first."""
    buf = io.StringIO()
    buf.write(BOM + separator.join(header) + "\r\n")
    for n, row in enumerate(rows, start=1):
        buf.write(separator.join(csv_field(v, separator) for v in row) + "\r\n")
        if n % CHUNK_ROWS == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
