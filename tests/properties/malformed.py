"""Strategies for malformed input: random bytes and text, JSON of any shape, and one field
of a well-formed document removed or replaced by a value of the wrong type.

A `Mutation` is drawn against a field list (`Field`), not a concrete document, and applied
at send time to a freshly built one, so the ids that make a request new (event ids,
message ids, timestamps) are fresh on every run, shrinking included, while what Hypothesis
shows is only the mutation: `event/user := 5`, `actions/0/value removed`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Json = dict[str, Any]
Path = tuple[str | int, ...]

HUGE_INTS = (2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30)

json_scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(HUGE_INTS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
"""Any JSON value, nested a few levels at most."""

not_an_object = json_values.filter(lambda value: not isinstance(value, dict))
"""JSON whose top level is not an object: a list, null, a number, a string, a boolean."""


def _is(value: object, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


class _Removed:
    def __repr__(self) -> str:
        return "REMOVED"


REMOVED: Any = _Removed()


@dataclass(frozen=True)
class Field:
    """A field of a well-formed document: where, of which JSON type, and whether leaving it
    out is malformed (some fields may legitimately be absent)."""

    path: Path
    kind: type
    required: bool = True
    truthy_only: bool = False
    """Only truthy wrong values: a falsy one makes the reader fall back, rightly, on another
    field that says the same (`container.channel_id` or `channel.id`)."""


@dataclass(frozen=True)
class Mutation:
    path: Path
    value: Any

    def apply(self, document: Json) -> Json:
        changed = copy.deepcopy(document)
        parent: Any = changed
        for part in self.path[:-1]:
            parent = parent[part]
        last = self.path[-1]
        if self.value is REMOVED:
            del parent[last]
        else:
            parent[last] = self.value
        return changed

    def __repr__(self) -> str:
        where = "/".join(str(part) for part in self.path)
        if self.value is REMOVED:
            return f"<{where} removed>"
        return f"<{where} := {json.dumps(self.value)[:300]}>"


def wrong_value(field: Field) -> st.SearchStrategy[Any]:
    values = json_values.filter(lambda value: not _is(value, field.kind))
    if field.truthy_only:
        values = values.filter(bool)
    return values


def mutations(fields: list[Field]) -> st.SearchStrategy[Mutation]:
    """One field of `fields` removed (if it is required) or given a wrong-typed value."""

    def for_field(field: Field) -> st.SearchStrategy[Mutation]:
        values = wrong_value(field)
        if field.required:
            values = st.just(REMOVED) | values
        return values.map(lambda value: Mutation(field.path, value))

    return st.sampled_from(fields).flatmap(for_field)


@dataclass(frozen=True)
class Raw:
    """A body sent as it is."""

    body: bytes
    content_type: str | None

    def __repr__(self) -> str:
        more = "..." if len(self.body) > 300 else ""
        return f"<Raw {self.content_type or 'no content type'}: {self.body[:300]!r}{more}>"


CONTENT_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=xyz",
    None,
)


def raw_bodies(content_types: tuple[str | None, ...] = CONTENT_TYPES) -> st.SearchStrategy[Raw]:
    """Random bytes, random text, and JSON that is not an object, under any content type."""
    bodies = st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
        not_an_object.map(lambda value: json.dumps(value).encode()),
        json_values.map(lambda value: json.dumps(value).encode()),
    )
    return st.builds(Raw, bodies, st.sampled_from(content_types))
