"""content/idcard.py: the GB 11643 check character catches every single mistyped character and every
swap of two neighbouring different digits, on numbers with real birth dates."""
from datetime import date, timedelta

from hypothesis import given, strategies as st

from content.idcard import PROBLEMS, check_character, normalise, problem

TODAY = date(2026, 12, 1)
numbers = st.builds(lambda region, born, seq: f"{region}{born:%Y%m%d}{seq:03d}",
                    st.integers(110000, 659999), st.dates(date(1900, 1, 1), TODAY), st.integers(0, 999))


def complete(first17: str) -> str:
    return first17 + check_character(first17)


def test_published_examples():
    assert problem("11010519491231002X", TODAY) is None and problem("11010519491231002x", TODAY) is None
    assert problem("110101199001011237", TODAY) is None
    assert [problem(n, TODAY) for n in ("1101011990010112", "A10101199001011237", "110101199013011237",
                                        "110101199001011234")] == ["length", "shape", "birth", "check"]
    assert set(PROBLEMS) == {"length", "shape", "birth", "check"}
    assert normalise(" 1101 0519 4912 3100 2x ") == "11010519491231002X"
    assert problem(complete(f"110101{TODAY + timedelta(days=1):%Y%m%d}001"), TODAY) == "birth"


@given(numbers, st.integers(0, 16), st.integers(1, 9))
def test_any_single_wrong_digit_is_caught(first17, position, shift):
    good = complete(first17)
    assert problem(good, TODAY) is None
    digit = (int(good[position]) + shift) % 10
    bad = good[:position] + str(digit) + good[position + 1:]
    assert problem(bad, TODAY) is not None


@given(numbers, st.integers(0, 15))
def test_swapping_two_neighbours_is_caught(first17, position):
    good = complete(first17)
    if good[position] == good[position + 1] or "X" in good[position:position + 2]:
        return
    swapped = good[:position] + good[position + 1] + good[position] + good[position + 2:]
    assert problem(swapped, TODAY) is not None
