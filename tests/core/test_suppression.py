import random

import pytest
from flask import Flask
from flask_babel import Babel

from engage.core.suppression import (
    PROTECTS_ANOTHER,
    TOO_FEW,
    Cell,
    reason_text,
    suppress,
    total,
)


def shown(cells: list[Cell]) -> dict[str, int]:
    return {cell.label: cell.n for cell in cells if cell.n is not None}


def hidden(cells: list[Cell]) -> dict[str, str]:
    return {cell.label: cell.reason for cell in cells if cell.n is None}


def test_nothing_is_hidden_when_every_group_is_big_enough():
    cells = suppress({"Women": 12, "Men": 9, "Non-binary": 5}, 5)
    assert cells == [
        Cell("Women", 12, None),
        Cell("Men", 9, None),
        Cell("Non-binary", 5, None),
    ]


def test_one_small_group_hides_the_smallest_other_one_too():
    cells = suppress({"Women": 12, "Men": 9, "Non-binary": 2}, 5)
    assert shown(cells) == {"Women": 12}
    assert hidden(cells) == {"Men": PROTECTS_ANOTHER, "Non-binary": TOO_FEW}


def test_two_small_groups_adding_up_to_under_the_threshold_hide_a_third():
    cells = suppress({"Women": 12, "Men": 9, "Non-binary": 2, "Prefer to self-describe": 1}, 5)
    assert shown(cells) == {"Women": 12}
    assert hidden(cells) == {
        "Men": PROTECTS_ANOTHER,
        "Non-binary": TOO_FEW,
        "Prefer to self-describe": TOO_FEW,
    }


def test_two_small_groups_adding_up_to_the_threshold_protect_each_other():
    cells = suppress({"Women": 12, "Men": 9, "Non-binary": 3, "Prefer not to say": 2}, 5)
    assert shown(cells) == {"Women": 12, "Men": 9}
    assert hidden(cells) == {"Non-binary": TOO_FEW, "Prefer not to say": TOO_FEW}


def test_everything_is_hidden_when_nothing_else_would_protect_the_small_group():
    cells = suppress({"Yes": 7, "No": 1}, 5)
    assert hidden(cells) == {"Yes": PROTECTS_ANOTHER, "No": TOO_FEW}
    assert suppress({"Only group": 3}, 5) == [Cell("Only group", None, TOO_FEW)]
    assert [cell.reason for cell in suppress({"a": 1, "b": 2}, 5)] == [TOO_FEW, TOO_FEW]


def test_of_equal_smallest_groups_the_later_one_is_hidden():
    cells = suppress({"a": 9, "b": 6, "c": 6, "d": 1}, 5)
    assert shown(cells) == {"a": 9, "b": 6}
    assert hidden(cells) == {"c": PROTECTS_ANOTHER, "d": TOO_FEW}


def test_the_order_is_kept_and_groups_of_nobody_are_left_out():
    counts = {"z": 8, "empty": 0, "a": 3, "m": 20, "also empty": 0, "b": 4}
    cells = suppress(counts, 5)
    assert [cell.label for cell in cells] == ["z", "a", "m", "b"]
    assert total(counts) == 35
    assert suppress({"nobody": 0}, 5) == []
    assert suppress({}, 5) == []


def test_a_threshold_below_one_hides_nothing():
    assert hidden(suppress({"a": 1, "b": 2}, 0)) == {}
    assert hidden(suppress({"a": 1, "b": 2}, -3)) == {}
    assert hidden(suppress({"a": 1, "b": 2}, 1)) == {}


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        suppress({"a": 4, "b": -1}, 5)


def test_random_breakdowns_never_give_a_small_group_away():
    rng = random.Random(20260401)
    for _ in range(5000):
        threshold = rng.randint(-1, 12)
        size = rng.randint(0, 8)
        counts = {
            f"group {i}": rng.choice([0, rng.randint(1, 15), rng.randint(1, 60)])
            for i in range(size)
        }
        cells = suppress(counts, threshold)
        bound = max(threshold, 1)

        assert [cell.label for cell in cells] == [k for k, n in counts.items() if n]
        for cell in cells:
            if cell.n is None:
                assert cell.reason in (TOO_FEW, PROTECTS_ANOTHER)
                assert (cell.reason == TOO_FEW) == (counts[cell.label] < bound)
            else:
                assert cell.reason is None
                assert cell.n == counts[cell.label]
                assert cell.n >= bound
        hidden_counts = [counts[cell.label] for cell in cells if cell.n is None]
        everything_hidden = len(hidden_counts) == len(cells)
        assert (
            not hidden_counts
            or everything_hidden
            or (len(hidden_counts) >= 2 and sum(hidden_counts) >= bound)
        ), (counts, threshold, cells)


@pytest.fixture
def babel_app() -> Flask:
    app = Flask(__name__)
    Babel(app)
    return app


def test_reasons_are_explained_in_plain_words(babel_app):
    with babel_app.app_context():
        assert reason_text(TOO_FEW, 5) == (
            "Fewer than 5 people, so not shown to protect their privacy."
        )
        assert reason_text(PROTECTS_ANOTHER, 5) == (
            "Not shown, so that a smaller group cannot be worked out from the total."
        )
        with pytest.raises(ValueError):
            reason_text("because", 5)
