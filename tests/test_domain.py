"""The pure domain: scores, misuse rules, ids and the wire protocol."""

from __future__ import annotations

import json
import uuid

import pytest

from feedback import protocol as p
from feedback.ids import InvalidId, check_id
from feedback.misuse import flag_misuse, is_duplicate_touch, is_misuse
from feedback.rating import InvalidRating, Rating
from feedback.scores import face_weight, intervals_overlap, is_positive, score


@pytest.mark.parametrize(
    ("happiest_first", "expected"),
    [([126, 60, 16, 17], 78), ([51, 23, 12, 2, 4], 81)],
)
def test_happy_index_reproduces_published_examples(happiest_first: list[int], expected: int) -> None:
    """HappyOrNot's published examples come out as 78 and 81."""
    counts = list(reversed(happiest_first))
    assert round(score({len(counts): counts}).happy_index or 0) == expected


def test_face_weights_and_positive_split() -> None:
    """4 faces weigh 0/33.3/66.7/100 and the top two are positive; on 5 faces the middle is not positive."""
    assert [round(face_weight(f, 4), 1) for f in range(4)] == [0.0, 33.3, 66.7, 100.0]
    assert [is_positive(f, 4) for f in range(4)] == [False, False, True, True]
    assert [is_positive(f, 5) for f in range(5)] == [False, False, False, True, True]


def test_score_of_mixed_scales_and_empty() -> None:
    """Mixed scales are averaged by weight; no answers give no index; one answer gives no interval."""
    s = score({4: [0, 0, 0, 2], 5: [2, 0, 0, 0, 0]})
    assert (s.total, s.happy_index, s.pct_positive) == (4, 50.0, 50.0)
    assert score({}).happy_index is None
    assert score({4: [0, 0, 0, 1]}).ci_low is None


def test_confidence_interval_narrows_with_more_answers_and_overlap_detects_ties() -> None:
    """The 95 % interval shrinks with n; overlapping intervals mean the difference is not significant."""
    small = score({4: [1, 1, 1, 1]})
    big = score({4: [100, 100, 100, 100]})
    assert small.ci_low is not None and big.ci_low is not None and small.ci_high and big.ci_high
    assert (small.ci_high - small.ci_low) > (big.ci_high - big.ci_low)
    assert intervals_overlap(small, big)
    assert not intervals_overlap(score({4: [0, 0, 5, 95]}), score({4: [95, 5, 0, 0]}))


def test_misuse_rules() -> None:
    """A touch within 150 ms is noise; a tap within the response interval is misuse; re-evaluation flags runs."""
    assert is_duplicate_touch(10.0, 10.1) and not is_duplicate_touch(10.0, 10.2) and not is_duplicate_touch(None, 1)
    assert is_misuse(0.0, 4.9) and not is_misuse(0.0, 5.0) and not is_misuse(None, 0.0)
    assert list(flag_misuse([0, 1000, 7000, 7500], interval_s=5)) == [False, True, False, True]
    assert list(flag_misuse([0, 1000, 7000, 7500], interval_s=0.2)) == [False, False, False, False]


@pytest.mark.parametrize("bad", ["", "A", "a+b", "a/b", "#", "-x", "x" * 64, None, 3, "å"])
def test_ids_refuse_anything_outside_the_safe_alphabet(bad: object) -> None:
    """+, #, / and friends could subvert pattern ACLs, so they never become ids."""
    with pytest.raises(InvalidId):
        check_id(bad)


def _rating(**over: object) -> Rating:
    fields: dict[str, object] = dict(
        kiosk_id="k1",
        seq=1,
        uuid=str(uuid.uuid4()),
        face=2,
        scale=4,
        question_id="q1",
        time_ms=1_790_000_000_000,
        boot_id="b",
        mono_ms=5,
    )
    fields.update(over)
    return Rating(**fields)  # type: ignore[arg-type]


def test_ratings_round_trip_through_the_wire() -> None:
    """Encoding then decoding a batch gives back the same ratings."""
    batch = [_rating(seq=1), _rating(seq=2, reason="queue", is_misuse=True)]
    decoded = p.decode_ratings("k1", p.encode_ratings("k1", batch))
    assert decoded.ratings == batch and decoded.rejections == []


def _wire(**over: object) -> dict[str, object]:
    doc = p.rating_to_wire(_rating())
    doc.update(over)
    return doc


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"[1, 2]", "not_an_object"),
        (json.dumps({"v": 2, "ratings": [_wire()]}).encode(), "unsupported_version"),
        (json.dumps({"v": 1, "kiosk": "k2", "ratings": [_wire()]}).encode(), "kiosk_mismatch"),
        (json.dumps({"v": 1, "ratings": []}).encode(), "no_ratings"),
        (json.dumps({"v": 1, "ratings": [_wire()] * 101}).encode(), "batch_too_large"),
        (b"{" + b" " * (p.MAX_PAYLOAD_BYTES + 1) + b"}", "payload_too_large"),
    ],
)
def test_whole_message_refusals_name_their_reason(payload: bytes, reason: str) -> None:
    """A message that is unusable as a whole is refused with a stable reason code."""
    with pytest.raises(p.ProtocolError) as info:
        p.decode_ratings("k1", payload)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("override", "detail"),
    [
        ({"face": 4}, "face 4 is out of range"),
        ({"face": "3"}, "face must be an integer"),
        ({"face": True}, "face must be an integer"),
        ({"scale": 7}, "scale 7 is out of range"),
        ({"seq": 0}, "seq 0 is out of range"),
        ({"uuid": "nope"}, "is not a UUID"),
        ({"time_ms": -5}, "time_ms -5 is out of range"),
        ({"extra": 1}, "unknown field"),
        ({"reason": ""}, "reason must be null"),
    ],
)
def test_one_bad_rating_is_refused_alone(override: dict[str, object], detail: str) -> None:
    """A bad rating is refused with its reason while the valid rating beside it decodes."""
    good = _wire(seq=1)
    bad = _wire(**{"seq": 2, **override})
    out = p.decode_ratings("k1", json.dumps({"v": 1, "ratings": [good, bad]}).encode())
    assert [r.seq for r in out.ratings] == [1]
    assert len(out.rejections) == 1 and detail in out.rejections[0].detail


def test_invalid_rating_object_refused_before_it_exists() -> None:
    """The value object validates itself: a face off the scale cannot be constructed."""
    with pytest.raises(InvalidRating):
        _rating(face=9)


def test_topics_and_ack_and_status_round_trip() -> None:
    """Topic parsing refuses foreign shapes; acks and statuses survive the wire."""
    assert p.parse_kiosk_topic(p.kiosk_topic("k-1", p.RATINGS)) == ("k-1", "ratings")
    for bad in ("fb/v1/k/K1/ratings", "fb/v2/k/k1/ratings", "fb/v1/k/k1", "x"):
        with pytest.raises(p.ProtocolError):
            p.parse_kiosk_topic(bad)
    ack = p.Ack(41, resend_from=7, rejected=((3, "invalid_rating"),))
    assert p.decode_ack(p.encode_ack(ack)) == ack
    st = p.Status("online", epoch=3, pending=2, last_seq=9, clock_ms=5, boot_id="b", mono_ms=1, ntp_synced=True)
    assert p.decode_status(p.encode_status(st)) == st


def test_tap_state_keeps_time_order_flags_misuse_and_counts_the_minute() -> None:
    """A time before the previous tap is raised to it; misuse is judged on the hub's times; the limit counts."""
    from feedback.abuse import TapLimit, TapState

    st = TapState()
    assert st.in_order(10_000) == (10_000, False) and not st.is_misuse(10_000, interval_s=5)
    st.took(1, 10_000)
    assert st.in_order(4_000) == (10_000, True)  # went back: raised
    assert st.is_misuse(10_000, interval_s=5) and st.is_misuse(14_999, interval_s=5)
    assert not st.is_misuse(15_000, interval_s=5) and not st.is_misuse(10_000, interval_s=0)
    limit = TapLimit(per_minute=3)
    assert [st.is_over(t, limit) for t in (0, 1, 2, 3, 59_999, 60_000)] == [False, False, False, True, True, False]
    assert st.over_limit == 2
    assert not any(TapState().is_over(t, TapLimit(per_minute=0)) for t in range(1000))  # 0: no limit
