"""Check one content file against `content_schema.json` and say what is wrong in author words.

The JSON Schema is the contract editors use for completion and live checks; running the very
same schema here keeps the editor and `lessonloop validate` from ever disagreeing. jsonschema's
own messages ("{'sya': 'x'} is not valid under any of the given schemas") mean nothing to an
author, so each error is rewritten, located on the key or list item it is about, and related
errors caused by one slip (a typo'd key is also a "missing" key) are folded into one message.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from bot.content.errors import ContentError, PathPart, SourceFile

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "content_schema.json"
"""The machine-readable contract, at the top of the repository (see content/README.md)."""

ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$"
LOCALE_PATTERN = "^[a-z]{2,3}(-[a-z0-9]{2,8})?$"
URL_PATTERN = "^https?://[^\\s]+$"
LESSON_REF_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{0,47}/[A-Za-z0-9][A-Za-z0-9_-]{0,47}$"
TIME_PATTERN = "^([01]?[0-9]|2[0-3]):[0-5][0-9]$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DELAY_PATTERN = "^-?[0-9]+ *[A-Za-z]+$"
ANSWER_SHAPE = "answer-shape: true_false questions use answer, the others options"

_PATTERN_HINTS = {
    ID_PATTERN: "is not a valid id: use letters, digits, _ and - only (no spaces), "
    "starting with a letter or digit, at most 48 characters",
    LOCALE_PATTERN: "is not a locale code: use a lower-case language code, optionally with a region "
    "(en, ko, pt-br)",
    URL_PATTERN: "is not a web address: it must start with http:// or https:// and contain no spaces",
    LESSON_REF_PATTERN: "is not a lesson reference: write course_id/lesson_id, e.g. onboarding/welcome",
    TIME_PATTERN: 'is not a time of day: write HH:MM on a 24-hour clock, e.g. "09:00" or "17:30"',
    DATE_PATTERN: "is not a date: write YYYY-MM-DD, e.g. 2026-12-25",
    DELAY_PATTERN: "is not a delay: write a number and a unit, e.g. 4 hours or 2 days",
}

_EXPECTED = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value)",
    "array": "a list",
    "null": "nothing",
    "string|object": "text (a string, or a map of locale to string)",
    "array|object": "a list of strings, or a map of locale to a list of strings",
}


@lru_cache(maxsize=1)
def content_schema() -> Mapping[str, object]:
    """The parsed schema, read once per process."""
    with SCHEMA_PATH.open(encoding="utf-8") as file:
        schema: dict[str, object] = json.load(file)
    return schema


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = content_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(source: SourceFile) -> list[ContentError]:
    """Every schema problem of one file, one message per mistake."""
    found = [item for error in _validator().iter_errors(source.data) for item in _explain(error)]
    return [source.error(item.path, item.message) for item in _fold(found)]


@dataclass(frozen=True)
class _Found:
    path: tuple[PathPart, ...]
    message: str
    missing: str = ""
    """For a missing key: which one."""
    suggests: str = ""
    """For an unknown key: the allowed key it probably meant."""
    forbidden: str = ""
    """For a key that must not be there: errors inside it do not matter."""
    unknown_key: bool = False
    no_step_key: bool = False


def _fold(found: list[_Found]) -> list[_Found]:
    """Drop the knock-on errors of one mistake, keep one of each message."""
    meant = {(item.path[:-1], item.suggests) for item in found if item.suggests}
    has_unknown = {item.path[:-1] for item in found if item.unknown_key}
    gone = {(*item.path, item.forbidden) for item in found if item.forbidden}
    kept: dict[tuple[tuple[PathPart, ...], str], _Found] = {}
    for item in found:
        if item.missing and (item.path, item.missing) in meant:
            continue
        if item.no_step_key and item.path in has_unknown:
            continue
        if any(item.path[: len(prefix)] == prefix for prefix in gone):
            continue
        kept.setdefault((item.path, item.message), item)
    return list(kept.values())


def _explain(error: ValidationError) -> list[_Found]:
    path = tuple(error.absolute_path)
    validator, value, instance = error.validator, error.validator_value, error.instance
    if "propertyNames" in error.schema_path and isinstance(instance, str):
        return [_Found((*path, instance), f"{instance!r} {_PATTERN_HINTS.get(str(value), 'is not allowed')}")]
    if validator == "type":
        return [_Found(path, _type_message(value, instance))]
    if isinstance(error.schema, dict) and error.schema.get("$comment") == ANSWER_SHAPE:
        return [_answer_shape(path, instance)] if isinstance(instance, dict) else []
    if validator == "required" and isinstance(instance, dict):
        return [_missing(path, key) for key in _strings(value) if key not in instance]
    if validator == "additionalProperties" and isinstance(instance, dict):
        return [
            _unknown(path, key, _allowed(error.schema))
            for key in instance
            if key not in _allowed(error.schema)
        ]
    if validator in ("oneOf", "anyOf", "not") and not isinstance(instance, dict):
        return []  # a type error about the same value says it better
    if validator in ("oneOf", "anyOf"):
        return _one_of(path, error, instance)
    if validator == "not":
        keys = _strings(value.get("required", ())) if isinstance(value, dict) else []
        return [_Found((*path, key), f"'{key}' is not allowed here", forbidden=key) for key in keys]
    return [_Found(path, _simple_message(validator, value, instance))]


def _one_of(path: tuple[PathPart, ...], error: ValidationError, instance: object) -> list[_Found]:
    value = error.validator_value
    branches = value if isinstance(value, list) else []
    keys = [
        key for branch in branches if isinstance(branch, dict) for key in _strings(branch.get("required", ()))
    ]
    if isinstance(instance, dict) and len(keys) == len(branches):
        present = [key for key in keys if key in instance]
        subject = "a step" if "say" in keys else _subject(path)
        found = f"this one has {' and '.join(present)}" if present else "this one has none"
        message = f"{subject} needs exactly one of: {', '.join(keys)} ({found})"
        return [_Found(path, message, no_step_key=not present)]
    best = best_match(error.context) if error.context else None
    return _explain(best) if best is not None else [_Found(path, "does not match any allowed form here")]


def _subject(path: tuple[PathPart, ...]) -> str:
    """What a mapping is called in a message: `'sends'`, or `each item of 'triggers'`."""
    if not path:
        return "this"
    if isinstance(path[-1], int) and len(path) > 1:
        return f"each item of '{path[-2]}'"
    return f"'{path[-1]}'"


def _answer_shape(path: tuple[PathPart, ...], question: dict[str, object]) -> _Found:
    if question.get("type") == "true_false":
        extra = " instead of `options`" if "options" in question else ""
        message = f"a true_false question needs `answer: true` or `answer: false`{extra}"
        return _Found(path, message, forbidden="options")
    extra = " instead of `answer`" if "answer" in question else ""
    message = (
        f"a {question.get('type')} question needs `options` (mark the right ones `correct: true`){extra}"
    )
    return _Found(path, message, forbidden="answer")


def _missing(path: tuple[PathPart, ...], key: str) -> _Found:
    if key == "kind" and not path:
        return _Found(
            path, "missing 'kind' (one of: course, quiz, survey, faq, campaign, snippets)", missing=key
        )
    return _Found(path, f"missing '{key}'", missing=key)


def _unknown(path: tuple[PathPart, ...], key: str, allowed: list[str]) -> _Found:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    message = f"unknown key '{key}' ({hint}allowed here: {', '.join(allowed)})"
    return _Found((*path, key), message, suggests=close[0] if close else "", unknown_key=True)


def _allowed(schema: object) -> list[str]:
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return list(properties) if isinstance(properties, dict) else []


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, (list, tuple)) else []


def _type_message(expected: object, instance: object) -> str:
    key = "|".join(expected) if isinstance(expected, list) else str(expected)
    message = f"expected {_EXPECTED.get(key, key)}, got {describe(instance)}"
    if key in ("string", "string|object") and isinstance(instance, (int, float)):
        message += " (put it in quotes to make it text)"
    return message + _missing_space_hint(key, instance)


_NO_SPACE_AFTER_COLON = re.compile(r"^([A-Za-z_][\w-]*):(\S.*)$", re.DOTALL)


def _missing_space_hint(expected: str, instance: object) -> str:
    """`- say:Hello` is one string and `-say: Hello` a mapping: YAML needs a space after the
    colon of a key and after the dash of a list item."""
    if expected == "object" and isinstance(instance, str):
        found = _NO_SPACE_AFTER_COLON.match(instance)
        if found:
            return f" (a key needs a space after its colon: `{found.group(1)}: {found.group(2)}`)"
    if expected == "array" and isinstance(instance, dict) and instance:
        first = next(iter(instance))
        if isinstance(first, str) and first.startswith("-") and len(first) > 1:
            return f" (a list item needs a space after its dash: `- {first[1:]}: ...`)"
    return ""


def _simple_message(validator: object, value: object, instance: object) -> str:
    if validator == "pattern":
        return f"{instance!r} {_PATTERN_HINTS.get(str(value), f'does not match the pattern {value}')}"
    if validator == "enum":
        options = [str(option) for option in value] if isinstance(value, list) else []
        close = difflib.get_close_matches(str(instance), options, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        got = repr(instance) if isinstance(instance, str) else describe(instance)
        return f"expected one of: {', '.join(options)}, got {got}{hint}"
    if validator == "const":
        expected = json.dumps(value) if isinstance(value, bool) else repr(value)
        return f"expected {expected}, got {describe(instance)}"
    if validator == "minItems":
        return f"needs at least {value} item{'s' if value != 1 else ''}, got {_count(instance)}"
    if validator == "maxItems":
        return f"may have at most {value} item{'s' if value != 1 else ''}, got {_count(instance)}"
    if validator == "minProperties":
        return "needs at least one entry; an empty mapping is not allowed here"
    if validator == "minimum":
        return f"must be at least {value} (got {instance})"
    if validator == "maximum":
        return f"must be at most {value} (got {instance})"
    return f"is not allowed here ({validator})"


def _count(instance: object) -> str:
    size = len(instance) if isinstance(instance, (list, dict)) else 0
    return "an empty list" if size == 0 else f"{size}"


def describe(value: object) -> str:
    """What a YAML value is, in words: `a list`, `a number (42)`, `nothing`."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"true/false ({'true' if value else 'false'})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
