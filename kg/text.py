"""Text as people type it and as the corpus spells it: one set of folding rules for matching.

Persian is written with Arabic-script letters that have Arabic look-alikes (yeh, kaf), with
joiners that do not change the word (the zero-width non-joiner between the parts of a word)
and with invisible marks (direction marks, the tatweel that stretches a letter). A keyboard
set to Arabic types the look-alikes, so two spellings of one word differ in code points only.
The import (kg.interchange.matching.normalise) and the search (api.services.search) unify them
with the one table here.

`fold` folds a whole string at once (the search folds every text of the graph with it);
`folded_with_positions` folds character by character to say where each folded character comes
from, which only marking a quote in its source needs: both give the same text.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Arabic code points that Persian text often carries in place of the Persian letters
LETTER_VARIANTS = {
    "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
    "\u0649": "\u06cc",  # Arabic alef maksura -> Persian yeh
    "\u0643": "\u06a9",  # Arabic kaf -> Persian keheh
}
# inside a word: whether they count as nothing (search) or as a word break (names) is the caller's
JOINERS = ("\u200c", "\u200d")  # zero-width non-joiner, zero-width joiner
DIRECTION_MARKS = ("\u200e", "\u200f")  # left-to-right mark, right-to-left mark
# never part of a word (the import reads a direction mark as a word break: see normalise)
INVISIBLE = (*DIRECTION_MARKS, "\u0640")  # and the tatweel


def _table(joiner: str) -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(k): v for k, v in LETTER_VARIANTS.items()}
    table.update({ord(c): joiner or None for c in JOINERS})
    table.update({ord(c): None for c in INVISIBLE})
    return table


_TABLES = {"": _table(""), " ": _table(" ")}


def _bare(value: str) -> str:
    """NFKD without its combining marks (accents, and the hamza above a yeh or heh)."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _checked(joiner: str) -> dict[int, str | None]:
    table = _TABLES.get(joiner)
    if table is None:
        raise ValueError(f"a joiner is folded to '' or ' ', not {joiner!r}")
    return table


def fold(value: str, joiner: str = "") -> str:
    """Text folded for matching: no accents, no case, Persian letter variants unified, joiners
    replaced by `joiner` ("" or " "), invisible marks dropped, runs of spaces made one.

    >>> fold("Grèzes-BÜRCHER")
    'grezes-burcher'
    >>> fold("سرمايه") == fold("سرمایه")
    True
    >>> fold("ویژگی\u200cهای") == fold("ویژگیهای")
    True
    >>> fold("سرمايه\u200cاجتماعي", joiner=" ") == fold("سرمایه اجتماعی")
    True
    >>> fold("  Stra\u00dfe  \ufb01ne ") == folded_with_positions("  Stra\u00dfe  \ufb01ne ")[0]
    True
    """
    # NFKD of the whole text is that of each character but for the order of the combining
    # marks it drops, and case folding is character by character: folded_with_positions agrees
    return " ".join(_bare(value).casefold().translate(_checked(joiner)).split())


@lru_cache(maxsize=4096)
def _fold_char(char: str, joiner: str) -> str:
    return _bare(char).casefold().translate(_TABLES[joiner])


def folded_with_positions(value: str, joiner: str = "") -> tuple[str, list[int]]:
    """fold(value) and, for each of its characters, the index in `value` it comes from: where
    a folded match lies in the original text.

    >>> text, where = folded_with_positions("  Ab\u0301c  d")
    >>> text, where
    ('abc d', [2, 3, 5, 6, 8])
    """
    _checked(joiner)
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(value):
        for folded in _fold_char(char, joiner):
            if folded.isspace():
                if not out or out[-1] == " ":
                    continue  # no leading space, one space for a run
                folded = " "
            out.append(folded)
            where.append(index)
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where
