"""Word matching for FAQ entries: BM25 over each entry's texts, with stemming.

Each entry is one document made of its question and all its phrasings in one locale, which
measured better than scoring each phrasing on its own (README has the figures). Words
are case-folded and stemmed with the Snowball stemmer of the locale's language when there
is one; scripts written without spaces (Korean, Japanese, Chinese) become overlapping
character pairs, which match across particles and verb endings without a dictionary.

Raw BM25 grows with the question's length and the index's vocabulary, so scores are
divided by the most the question could score (every term found with saturated frequency):
the result lies in [0, 1) whatever the FAQ, which lets one set of thresholds serve every
content pack.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cache

import numpy as np
import Stemmer
from numpy.typing import NDArray

K1 = 1.2
"""Term-frequency saturation (the usual BM25 value; 0.5-2 measured within 0.3 points)."""
B = 0.75
"""Length normalisation (the usual BM25 value)."""

_WORD = re.compile(r"\w+", re.UNICODE)
_SNOWBALL = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "id": "indonesian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}


@cache
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    algorithm = _SNOWBALL.get(language)
    if algorithm is None or algorithm not in Stemmer.algorithms():
        return None
    return Stemmer.Stemmer(algorithm)


def _written_without_spaces(word: str) -> bool:
    return any(unicodedata.east_asian_width(char) == "W" for char in word)


def terms(text: str, language: str) -> list[str]:
    """The text's index terms: stemmed words, and character pairs for CJK runs."""
    stemmer = _stemmer(language)
    found: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if _written_without_spaces(word) and len(word) > 1:
            found.extend(word[index : index + 2] for index in range(len(word) - 1))
        else:
            found.append(stemmer.stemWord(word) if stemmer else word)
    return found


class LexicalIndex:
    """BM25 (Lucene's formula) over one document per entry."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.size = len(documents)
        counts = [Counter(document) for document in documents]
        lengths = np.array([len(document) for document in documents], dtype=np.float64)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        frequency = Counter(term for count in counts for term in count)
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for row, count in enumerate(counts):
            norm = K1 * (1 - B + B * lengths[row] / average)
            for term, n in count.items():
                rows, weights = postings.setdefault(term, ([], []))
                rows.append(row)
                weights.append(self.idf(frequency[term]) * n * (K1 + 1) / (n + norm))
        self._postings = {
            term: (np.array(rows, dtype=np.intp), np.array(weights, dtype=np.float32))
            for term, (rows, weights) in postings.items()
        }
        self._frequency = frequency

    def idf(self, seen_in: int) -> float:
        return math.log(1 + (self.size - seen_in + 0.5) / (seen_in + 0.5))

    def scores(self, query: Sequence[str]) -> NDArray[np.float32]:
        """Each document's BM25 score over the most `query` could score: in [0, 1)."""
        result = np.zeros(self.size, dtype=np.float32)
        if not query or not self.size:
            return result
        # A word no entry uses counts as the rarest word the index has: with the usual df = 0
        # it would outweigh every found word in a locale of one or two entries.
        ceiling = sum(self.idf(max(self._frequency.get(term, 0), 1)) for term in query) * (K1 + 1)
        for term in query:
            posting = self._postings.get(term)
            if posting is not None:
                result[posting[0]] += posting[1]
        result /= ceiling
        return result
