"""``score_many`` (the dashboard's fast scorer) gives exactly what ``score`` gives."""

from __future__ import annotations

import random

import pytest

from feedback.scores import score, score_many


def test_score_many_equals_score_on_random_count_tables() -> None:
    """Over thousands of random tables on mixed scales, both scorers agree field by field."""
    rng = random.Random(11)
    for _ in range(5000):
        table = {
            s: [rng.choice([0, 0, 1, 2, 7, 50, 1000]) for _ in range(s)]
            for s in rng.sample([2, 3, 4, 5], rng.randint(0, 3))
        }
        assert score_many(table) == score(table), table


@pytest.mark.parametrize("table", [{6: [1] * 6}, {4: [1, 2, 3]}, {1: [5]}])
def test_score_many_refuses_what_score_refuses(table: dict[int, list[int]]) -> None:
    """Unknown scales and count lists of the wrong length are a ValueError in both."""
    with pytest.raises(ValueError):
        score(table)
    with pytest.raises(ValueError):
        score_many(table)
