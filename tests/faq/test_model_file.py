"""The embedding model is used only if its files are the pinned ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.faq.embeddings import (
    DIMENSION,
    Encoder,
    ModelUnavailableError,
    default_model_path,
    default_tokenizer_path,
    shared_encoder,
)


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / "model.onnx"
    shutil.copyfile(default_model_path(), tampered)
    with tampered.open("r+b") as handle:
        handle.seek(4096)
        byte = handle.read(1)
        handle.seek(4096)
        handle.write(bytes([byte[0] ^ 0xFF]))

    with pytest.raises(ModelUnavailableError, match="SHA-256"):
        Encoder(model_path=tampered)


def test_a_tampered_tokenizer_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / "tokenizer.json"
    tampered.write_text(default_tokenizer_path().read_text(encoding="utf-8").replace("password", "passw0rd"))

    with pytest.raises(ModelUnavailableError, match="SHA-256"):
        Encoder(tokenizer_path=tampered)


def test_a_missing_model_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="cannot read"):
        Encoder(model_path=tmp_path / "absent.onnx")


def test_vectors_are_unit_length_and_paraphrases_are_closer() -> None:
    vectors = shared_encoder().encode(["I forgot my password", "reset my password", "banana bread recipe"])

    assert vectors.shape == (3, DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_a_text_embeds_the_same_alone_or_in_a_batch() -> None:
    encoder = shared_encoder()
    alone = encoder.encode_one("how do I export my data to a spreadsheet")
    batched = encoder.encode(["hi", "how do I export my data to a spreadsheet", "a much longer text " * 5])[1]

    assert float(alone @ batched) > 0.9999
