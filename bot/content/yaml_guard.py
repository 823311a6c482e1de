"""Read content YAML so that a file cannot cost more than its size: no bombs get built.

A content file is read by `validate`, by every bot at start and by a running bot's reloader.
Aliases that repeat anchors of anchors (a "billion laughs") would be expanded by the schema
check and the model, thousands of nested brackets would overflow the recursive composer and
everything after it, and tags such as `!!python/name` or `!!set` build values the schema does
not know. The composer below refuses each as it meets it, in the one pass that reads the file.

An unquoted date (`holidays: [2026-12-25]`) stays the text it is, as if quoted: YAML would
otherwise build a timestamp from it, and an impossible one (2026-02-30) would fail inside the
YAML library, at no line. The content checks read dates themselves and say where one is wrong.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

MAX_DEPTH = 32
"""Content needs about a dozen levels (course, lessons, a step, its choices, a label's locales)."""
MAX_ALIAS_VALUES = 1000
"""How many values all the aliases of one file may repeat, together."""

TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
)
"""The tags of the JSON types the schema describes; any other tag is refused."""


class RefusedYamlError(YAMLError):
    """Why a file is not built, where: 0-based `line` and `column`."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


def load_yaml(text: str) -> Any:
    """The round-trip tree of `text` (line numbers kept); raises `RefusedYamlError` or a YAML error."""
    yaml = YAML(typ="rt")
    yaml.Composer = _GuardedComposer
    yaml.Resolver = _NoImplicitTimestamps
    yaml.max_depth = MAX_DEPTH + 1  # ours says it in author words first
    return yaml.load(text)


class _NoImplicitTimestamps(VersionedResolver):
    """Plain `2026-12-25` resolves to a string; an explicit `!!timestamp` is still refused."""

    def add_version_implicit_resolver(self, version: Any, tag: Any, regexp: Any, first: Any) -> None:
        if tag != TIMESTAMP_TAG:
            super().add_version_implicit_resolver(version, tag, regexp, first)


class _GuardedComposer(Composer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._repeated = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        mark = event.start_mark
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            self._repeated += self._size(node)
            if self._repeated > MAX_ALIAS_VALUES:
                message = (
                    f"aliases (*name) here would repeat more than {MAX_ALIAS_VALUES} values; "
                    "write the text out instead of repeating it through anchors"
                )
                raise RefusedYamlError(mark.line, mark.column, message)
            return node
        if self.depth >= MAX_DEPTH:
            message = f"nested more than {MAX_DEPTH} levels deep; content never needs that many"
            raise RefusedYamlError(mark.line, mark.column, message)
        tag = getattr(event, "tag", None)
        if tag is not None and str(tag) not in PLAIN_TAGS:
            raise RefusedYamlError(mark.line, mark.column, _tag_message(str(tag)))
        return super().compose_node(parent, index)

    def _size(self, node: Node) -> int:
        """How many values `node` holds; nesting is bounded, so recursion is too."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, SequenceNode):
            size = 1 + sum(self._size(item) for item in node.value)
        elif isinstance(node, MappingNode):
            size = 1 + sum(self._size(key) + self._size(value) for key, value in node.value)
        else:
            size = 1
        self._sizes[id(node)] = size
        return size


def _tag_message(tag: str) -> str:
    core = "tag:yaml.org,2002:"
    shown = "!!" + tag.removeprefix(core) if tag.startswith(core) else tag
    return (
        f"the tag {shown} is not allowed: content is plain text, numbers, true/false, lists and "
        "mappings (remove the tag, or put the value in quotes)"
    )
