"""Labelled queries for the FAQ benchmark: BANKING77, CLINC150, or any `text,category` CSV.

A data set is a training split (where FAQ entries get their phrasings) and a test split
(what learners ask). Rows whose category is `oos` are out of scope: they belong to no entry
and the right outcome for them is to decline.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

OUT_OF_SCOPE = "oos"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "faq"


@dataclass(frozen=True)
class Query:
    text: str
    category: str

    @property
    def in_scope(self) -> bool:
        return self.category != OUT_OF_SCOPE


@dataclass(frozen=True)
class DataSet:
    name: str
    train: tuple[Query, ...]
    test: tuple[Query, ...]


def read_csv(path: Path) -> tuple[Query, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"text", "category"} <= set(reader.fieldnames):
            raise SystemExit(f"{path}: expected the columns text,category")
        rows = [(row["text"].strip(), row["category"].strip()) for row in reader]
        return tuple(Query(text, category) for text, category in rows if text)


def csv_pair(train: Path, test: Path) -> DataSet:
    return DataSet(f"{train.name} → {test.name}", read_csv(train), read_csv(test))


def banking77(folder: Path = SHARED / "banking77") -> DataSet:
    return DataSet("BANKING77", read_csv(folder / "train.csv"), read_csv(folder / "test.csv"))


def clinc150(folder: Path = SHARED / "clinc150") -> DataSet:
    """Train on `train`, test on `val` + `oos_val` (the test splits are not in shared/)."""
    splits = json.loads((folder / "clinc150_train_val.json").read_text(encoding="utf-8"))

    def queries(*names: str) -> tuple[Query, ...]:
        return tuple(
            Query(text, OUT_OF_SCOPE if name.startswith("oos") else intent)
            for name in names
            for text, intent in splits[name]
        )

    return DataSet("CLINC150", queries("train"), queries("val", "oos_val"))


def phrasings_per_category(queries: Sequence[Query], k: int, seed: int) -> dict[str, list[str]]:
    """K training texts per in-scope category, drawn with a fixed seed (fewer if it has fewer)."""
    by_category: dict[str, list[str]] = defaultdict(list)
    for query in queries:
        if query.in_scope:
            by_category[query.category].append(query.text)
    generator = random.Random(seed)
    chosen: dict[str, list[str]] = {}
    for category in sorted(by_category):
        texts = list(dict.fromkeys(by_category[category]))
        generator.shuffle(texts)
        chosen[category] = texts[:k]
    return chosen
