"""居民身份证 numbers (GB 11643-1999): 17 digits — region, birth date, sequence — and a check
character computed from them (ISO 7064 MOD 11-2), so a mistyped digit is caught on the form."""
from __future__ import annotations

import re
from datetime import date

WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))   # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
CHECK = "10X98765432"
SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
PROBLEMS = ("length", "shape", "birth", "check")   # what problem() may answer, in the order it checks


def check_character(first17: str) -> str:
    """The 18th character for 17 digits."""
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def normalise(number: str) -> str:
    """Spaces dropped, a lower-case x raised: what people type on a phone."""
    return re.sub(r"\s+", "", number or "").upper()


def problem(number: str, today: date) -> str | None:
    """Why `number` is not a valid 18-character 居民身份证 number (a short code), or None if it is:
    "length" (not 18 characters), "shape" (not 17 digits and a digit or X), "birth" (no such birth
    date, or one in the future), "check" (the check character does not match)."""
    number = normalise(number)
    if len(number) != 18:
        return "length"
    if not SHAPE.match(number):
        return "shape"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "birth"
    if born > today or born.year < 1880:
        return "birth"
    if check_character(number[:17]) != number[17]:
        return "check"
    return None
