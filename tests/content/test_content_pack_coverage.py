"""The bundled pack doubles as documentation: every key and kind the schema allows must
appear in it at least once, so an author can always find a working example."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]


def _schema_words(node: object) -> Iterator[str]:
    """Every property name and every allowed string value in the schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            if key == "enum" and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str))
            if key == "const" and isinstance(value, str):
                yield value
            yield from _schema_words(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_words(item)


def _content_words(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _content_words(value)
    elif isinstance(node, list):
        for item in node:
            yield from _content_words(item)
    elif isinstance(node, str | bool):
        yield str(node)


def test_the_bundled_content_uses_every_feature_of_the_schema() -> None:
    schema = json.loads((ROOT / "content_schema.json").read_text(encoding="utf-8"))
    yaml = YAML(typ="safe")
    used: set[str] = set()
    for path in sorted((ROOT / "content").rglob("*.yaml")):
        used.update(_content_words(yaml.load(path)))

    assert sorted(set(_schema_words(schema)) - used) == []
