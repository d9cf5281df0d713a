"""Which plural form a dashboard number asks for: Polish and Arabic choose by the number."""

from __future__ import annotations

import pytest

from engage.dashboard.formatting import _count


@pytest.mark.parametrize(
    ("shown", "count"),
    [(0.0, 0), (1.0, 1), (2.0, 2), (5.0, 5), (22.0, 22), (1.5, 2), (float("nan"), 2)],
)
def test_a_whole_number_chooses_its_own_plural_a_fraction_the_general_one(shown, count):
    assert _count(shown) == count
