"""Substring search over Chinese text through an FTS5 index of character pairs.

A search matches a record when every word of the query is a substring of the record's text. The
text is indexed as its alphanumeric runs cut into overlapping character pairs plus each run's last
character: "修建道路" -> "修建 建道 道路 路". A query word of two or more characters then becomes a
phrase of its pairs ("建道路" -> "建道 道路"), one character a prefix query ("路"*); both find every
record holding the word (and, rarely, a few more across run boundaries, which the exact LIKE check
that follows removes). So FTS only narrows, it never decides."""

from __future__ import annotations

import re

from congress_desktop.core.text import clean, to_halfwidth

_RUN = re.compile(r"[^\W_]+")  # letters and digits of any script, 汉字 included
SEPARATOR = "\x1f"


def normalise_text(value: object) -> str:
    """Lower case, half-width: the form both the stored text and the query are compared in."""
    return to_halfwidth(clean(value)).lower()


def search_text(*parts: object) -> str:
    """The one column a LIKE runs over: every field a user may type, joined by a separator."""
    return SEPARATOR.join(p for p in (normalise_text(x) for x in parts) if p)


def grams(text: str) -> str:
    """The FTS document of a search text: pairs and each run's last character, space separated."""
    out: list[str] = []
    for run in _RUN.findall(normalise_text(text)):
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
        out.append(run[-1])
    return " ".join(out)


def query_words(query: object) -> list[str]:
    """The words of a query: its alphanumeric runs (punctuation and spaces separate words)."""
    return list(dict.fromkeys(_RUN.findall(normalise_text(query))))


def fts_query(words: list[str]) -> str:
    """An FTS5 MATCH expression requiring every word (see the module docstring)."""
    parts = []
    for w in words:
        if len(w) == 1:
            parts.append(f'"{w}"*')
        else:
            parts.append('"' + " ".join(w[i:i + 2] for i in range(len(w) - 1)) + '"')
    return " AND ".join(parts)
