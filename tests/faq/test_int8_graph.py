"""The int8 rewrite of the model's graph gives the vectors the shipped float graph gives.

The thresholds and the accuracy figures in README were measured with the shipped graph, so
the rewritten one must place every FAQ text where the shipped one does: the reference here
runs the verified file as it is, with the model's own pooling, on the bundled content's FAQ
questions and phrasings, and a few learner-style questions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from bot.content.loader import load_content
from bot.faq.embeddings import (
    MODEL_SHA256,
    TOKENIZER_SHA256,
    Vectors,
    default_model_path,
    default_tokenizer_path,
    shared_encoder,
    verify,
)
from bot.faq.graph import rewrite

CONTENT = Path(__file__).resolve().parents[2] / "content"
ASKED = (
    "how do i reset my password",
    "Can I get my money back??",
    "what is the airspeed of an unladen swallow",
    "export everything to a spreadsheet please, I need it for the quarterly report by friday",
    "ok",
)


def shipped_graph_vectors(texts: list[str]) -> Vectors:
    """One text at a time through the file as shipped: no rewrite, no batching."""
    session = onnxruntime.InferenceSession(
        verify(default_model_path(), MODEL_SHA256), providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_str(verify(default_tokenizer_path(), TOKENIZER_SHA256).decode("utf-8"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=128)
    vectors = []
    for text in texts:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        hidden = session.run(
            None,
            {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
        )[0]
        pooled = np.asarray(hidden, dtype=np.float32)[0].mean(axis=0)
        vectors.append(pooled / np.linalg.norm(pooled))
    return np.stack(vectors)


def faq_texts() -> list[str]:
    texts: list[str] = []
    for entry in load_content([CONTENT]).faq_entries:
        texts += entry.question.variants.values()
        for phrasings in entry.phrasings.values():
            texts += phrasings
    return list(dict.fromkeys(texts))


def test_every_weight_matmul_of_the_shipped_model_is_rewritten() -> None:
    _, rewritten = rewrite(verify(default_model_path(), MODEL_SHA256))

    assert rewritten == 36  # 6 layers x (query, key, value, output, two feed-forward)


def test_faq_texts_and_questions_get_the_shipped_graphs_vectors() -> None:
    texts = faq_texts() + list(ASKED)
    assert len(texts) > 100

    built = shared_encoder().encode(texts)  # in batches, as an index build runs it
    asked = np.stack([shared_encoder().encode_one(text) for text in ASKED])
    reference = shipped_graph_vectors(texts)

    assert float(np.min(np.sum(built * reference, axis=1))) >= 0.999
    assert float(np.min(np.sum(asked * reference[-len(ASKED) :], axis=1))) >= 0.999
