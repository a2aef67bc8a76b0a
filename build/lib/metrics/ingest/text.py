"""Small text rules shared by readers, format detection and validation.

Pure functions, no I/O. Header normalisation decides which column is which, so it is the one
place where "Año", "AGNO", " año " and "anio" become the same name.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
_LEADING_NUMBER = re.compile(r"^\(?\d{1,2}\s*[\.\)\-:=]\s*")


def strip_accents(text: str) -> str:
    """Remove diacritics (á → a, ñ → n).

    >>> strip_accents("Año Ñuble")
    'Ano Nuble'
    """
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def normalize_header(text: object) -> str:
    """A header as a comparable key: lower case, no accents, words joined by ``_``.

    >>> normalize_header(" Año  Escolar ")
    'ano_escolar'
    >>> normalize_header("\\ufeffAGNO")
    'agno'
    """
    if text is None:
        return ""
    value = strip_accents(str(text).replace("\ufeff", "")).lower()
    return _NON_WORD.sub("_", value).strip("_")


def normalize_label(text: object) -> str:
    """A code or Likert label as a comparable key: lower case, no accents, single spaces.

    Leading numbering (``"5 - Muy de acuerdo"``, ``"1) Nunca"``) is removed when words follow.

    >>> normalize_label("  5 - Muy   DE acuerdo. ")
    'muy de acuerdo'
    >>> normalize_label("4")
    '4'
    """
    if text is None:
        return ""
    value = strip_accents(str(text)).lower().strip()
    stripped = _LEADING_NUMBER.sub("", value)
    if stripped and any(ch.isalpha() for ch in stripped):
        value = stripped
    value = re.sub(r"[^\w\s]", " ", value)
    return " ".join(value.split())


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index.

    >>> column_letter(0), column_letter(27)
    ('A', 'AB')
    """
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
