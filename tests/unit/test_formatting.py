"""Numbers and dates in es-CL."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.formatting import (
    format_date,
    format_datetime,
    format_month,
    format_number,
    format_percent,
    format_points,
    format_size,
    parse_decimal,
)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (3540980, 0, "3.540.980"),
        (5.8, 1, "5,8"),
        (1234.5, 2, "1.234,50"),
        (-4.0, 1, "−4,0"),
        (-0.04, 1, "0,0"),
        (0, 0, "0"),
        (None, 1, "–"),
        (float("nan"), 1, "–"),
    ],
)
def test_format_number(value: float | None, decimals: int, expected: str) -> None:
    assert format_number(value, decimals) == expected


def test_percent_points_dates() -> None:
    assert format_percent(87.5) == "87,5 %"
    assert format_percent(6) == "6,0 %"
    assert format_points(-4) == "−4,0 pp"
    assert format_points(2.26) == "+2,3 pp"
    assert format_points(0) == "0,0 pp"
    assert format_date(date(2025, 3, 9)) == "09-03-2025"
    assert format_datetime(datetime(2025, 3, 9, 14, 5)) == "09-03-2025 14:05"
    assert format_month(2025, 5) == "mayo 2025"
    assert format_date(None) == "–"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_round_trip(n: int) -> None:
    text = format_number(n)
    assert int(text.replace(".", "").replace("−", "-")) == n


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_one_decimal_round_trips(x: float) -> None:
    text = format_number(x, 1)
    back = float(text.replace(".", "").replace(",", ".").replace("−", "-"))
    assert abs(back - x) <= 0.05 + 1e-6 * abs(x)


@pytest.mark.parametrize(
    ("n_bytes", "shown"),
    [
        (0, "0 B"),
        (316, "316 B"),
        (1023, "1.023 B"),
        (1024, "1,0 KB"),
        (1536, "1,5 KB"),
        (1_258_291, "1,2 MB"),  # 1,2 × 1.048.576
        (2048 * 1_048_576, "2,0 GB"),
    ],
)
def test_sizes_read_in_spanish(n_bytes: int, shown: str) -> None:
    assert format_size(n_bytes) == shown


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3,5", 3.5),
        (" 3,5 ", 3.5),
        ("3.5", 3.5),
        ("0,25", 0.25),
        ("18", 18.0),
        ("1.500", 1500.0),
        ("1.234,5", 1234.5),
        ("2,5 %", 2.5),
        ("−1,5", -1.5),
        (",5", 0.5),
        ("", None),
        ("tres", None),
        ("3,5,1", None),
        ("1.2.3", None),
    ],
)
def test_decimal_comma_is_read(text: str, value: float | None) -> None:
    assert parse_decimal(text) == value


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_what_is_shown_is_read_back(x: float) -> None:
    back = parse_decimal(format_number(x, 2))
    assert back is not None and abs(back - round(x, 2)) < 1e-6
