"""How the word score and the meaning score of an entry become one confidence in [0, 1].

For languages the embedding model knows, an entry's score is a weighted sum of
- the cosine between the question and the mean of the entry's text vectors (its centroid:
  what the phrasings have in common),
- the cosine to its nearest single text (a learner often words it exactly like one of them),
- the normalised BM25 score (exact product words, names and error codes that a small model
  blurs).
The weights were chosen on held-out *training* queries only (README, "Answering questions",
has the figures): the sum beat each score alone, and the fancier fusions tried gained
nothing worth their complexity.

For other languages only words count, rescaled so that a question whose every term is found
once in an average-length entry scores about 1, the same meaning the thresholds have above.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bot.faq.lexical import K1

CENTROID_WEIGHT = 0.5 / 1.3
NEAREST_WEIGHT = 0.5 / 1.3
LEXICAL_WEIGHT = 0.3 / 1.3

Scores = NDArray[np.float32]


def fused(centroid: Scores, nearest: Scores, lexical: Scores) -> Scores:
    """Meaning and words together (all three are per entry, in the same order)."""
    result: Scores = CENTROID_WEIGHT * centroid + NEAREST_WEIGHT * nearest + LEXICAL_WEIGHT * lexical
    return result


def words_only(lexical: Scores) -> Scores:
    """For a locale the embedding model does not know."""
    result: Scores = np.minimum(lexical * (K1 + 1), 1.0).astype(np.float32)
    return result
