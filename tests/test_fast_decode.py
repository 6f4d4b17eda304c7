"""The ingest's msgspec fast path and the protocol's careful decoder give the same verdicts: the fast path accepts
only messages the careful one accepts whole, with equal ratings, so the contract lives in one place."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from feedback import protocol as p
from hub.mqtt.fast_decode import decode_valid_ratings


def wire_rating(seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "uuid": str(uuid.UUID(int=seq)),
        "face": seq % 4,
        "scale": 4,
        "question": "q1",
        "reason": None,
        "time_ms": 1_780_000_000_000,
        "boot_id": "b",
        "mono_ms": seq,
        "misuse": False,
    }


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=70),
    st.just("0b6f3c4e-2f59-4e54-9d1a-5a3d9f1f0c77"),
    st.sampled_from(["queue\r=cmd", "a\u202eb", "tab\there", "x\u00a0y", "ok reason"]),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    n = draw(st.integers(min_value=0, max_value=4))
    ratings: list[Any] = [wire_rating(seq) for seq in range(1, n + 1)]
    for r in ratings:
        if draw(st.booleans()):
            field = draw(st.sampled_from([*r.keys(), "extra"]))
            if draw(st.booleans()):
                r[field] = draw(ODD_VALUES)
            else:
                r.pop(field, None)
    doc: dict[str, Any] = {"v": draw(st.sampled_from([1, 1, 1, 2, 1.0, "1"])), "ratings": ratings}
    if draw(st.booleans()):
        doc["kiosk"] = draw(st.sampled_from(["k", "k", "other", None]))
    if draw(st.booleans()):
        doc["future_field"] = draw(ODD_VALUES)
    return json.dumps(doc).encode()


@settings(max_examples=400, deadline=None)
@given(messages())
def test_the_fast_path_accepts_only_what_the_careful_decoder_accepts_whole(payload: bytes) -> None:
    """Whatever the fast path returns, the careful decoder returns too: the same ratings and no refusals."""
    fast = decode_valid_ratings("k", payload)
    try:
        careful = p.decode_ratings("k", payload)
    except p.ProtocolError:
        careful = None
    if fast is not None:
        assert careful is not None and careful.rejections == []
        assert fast.ratings == careful.ratings


def test_an_ordinary_valid_batch_takes_the_fast_path() -> None:
    """A well-formed batch of 100 is decoded by the fast path, equal to the careful result."""
    payload = p.encode_wire_ratings("k", [wire_rating(seq) for seq in range(1, 101)])
    fast = decode_valid_ratings("k", payload)
    assert fast is not None and len(fast.ratings) == 100
    assert fast.ratings == p.decode_ratings("k", payload).ratings
