"""The one reader of numbers from addresses and hidden fields."""

from __future__ import annotations

import pytest

from engage.core import numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("0", None),
        ("-3", None),
        ("+3", None),
        ("1e9", None),
        ("1.0", None),
        ("²", None),  # str.isdigit() says yes; int() says no
        ("١٢", None),  # Arabic-Indic digits
        ("2147483647", numbers.MAX_ID),
        ("2147483648", None),
        ("9" * 5000, None),  # longer than Python turns into a number
        (None, None),
    ],
)
def test_database_ids(text, expected):
    assert numbers.database_id(text) == expected


def test_hidden_lists_of_ids_keep_only_ids():
    assert numbers.database_ids("3,x,99999999999999999999,²,4, 5") == [3, 4, 5]
    assert numbers.database_ids(None) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3),
        ("", 1),
        ("abc", 1),
        ("-5", 1),
        ("0", 1),
        ("1e9", 1),
        ("²", 1),
        ("0003", 3),
        ("99999999999999999999", numbers.MAX_PAGE),
        ("9" * 5000, numbers.MAX_PAGE),
    ],
)
def test_requested_pages(text, expected):
    assert numbers.requested_page({"page": text}) == expected


def test_a_page_is_always_within_the_pages_there_are():
    assert numbers.page_of(0, 25, 7) == numbers.Page(number=1, pages=1, total=0, size=25)
    last = numbers.page_of(51, 25, numbers.MAX_PAGE)
    assert (last.number, last.pages, last.offset) == (3, 3, 50)
