"""The YAML parser's complaints, told as what happened in the author's text and what to do.

ruamel.yaml reports what its grammar expected ("expected <block end>, but found '<scalar>'"),
which names none of the slips that cause it: a quote inside quoted text, a tab, a `: ` inside
an unquoted value, a text that starts with `{{` or `[`. Each is recognised here from the line
the parser stopped on, so the hint fits the text as written (a value already in quotes is not
told to be put in quotes). Anything not recognised keeps the parser's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ruamel.yaml.error import MarkedYAMLError

_LINE = re.compile(r"^(?P<lead>[ \t]*(?:-[ \t]+)*)(?:(?P<key>[\w.-]+)[ \t]*:(?:[ \t]+|$))?(?P<value>.*)$")
"""One line of content: indentation and list dashes, an optional `key:`, then the value."""

_FLOW_START = re.compile(r"while parsing a flow (sequence|mapping)")


@dataclass(frozen=True)
class Explained:
    """A syntax error as authors read it: 1-based line and column, and the message."""

    line: int
    column: int
    message: str


def explain(text: str, error: MarkedYAMLError) -> Explained:
    """Where `error` is in `text` and what the author should do about it."""
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line, mark.column) if mark is not None else (0, 0)
    problem = (error.problem or error.context or "cannot parse").strip()
    lines = text.splitlines()
    here = lines[line] if 0 <= line < len(lines) else ""
    found = (
        _early_quote(line, here)
        or _tab(line, here, problem)
        or _template_start(line, here)
        or _unclosed_bracket(lines, error)
        or _bracket_start(line, here)
        or _colon_in_value(lines, line, column, here, problem)
        or _no_space_after_colon(lines, error)
    )
    if found is not None:
        return found
    return Explained(line + 1, column + 1, f"YAML syntax error: {_parser_words(error, problem)}")


def _parser_words(error: MarkedYAMLError, problem: str) -> str:
    context, mark = error.context_mark, error.problem_mark or error.context_mark
    if error.context == "expected a single document in the stream":
        return "only one document per file: split the content after '---' into its own file"
    if problem.startswith("found duplicate key"):
        return f"{problem}; each key may appear once per mapping"
    if error.context and context is not None and context is not mark:
        where = f"line {context.line + 1}, column {context.column + 1}"
        return f"{problem} ({error.context.strip()} that starts at {where})"
    return problem


def _value(here: str) -> tuple[int, str]:
    """The column where this line's value starts, and the value."""
    match = _LINE.match(here)
    if match is None:
        return 0, here
    return match.start("value"), match.group("value")


def _closing_quote(value: str) -> int | None:
    """Where the quoted text opening `value` ends, or None when it runs past this line."""
    quote, index = value[0], 1
    while index < len(value):
        char = value[index]
        if quote == '"' and char == "\\":
            index += 2
            continue
        if char == quote:
            if quote == "'" and value[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index
        index += 1
    return None


def _early_quote(line: int, here: str) -> Explained | None:
    """`say: "Hi {{ x | default("there") }}"` or `say: 'Let's go'`: a quote of the kind that
    opened the text closed it, and the rest of the line is left over."""
    start, value = _value(here)
    if not value or value[0] not in "\"'":
        return None
    close = _closing_quote(value)
    rest = value[close + 1 :].strip() if close is not None else ""
    if close is None or not rest or rest.startswith("#"):
        return None
    quote = value[0]
    meant = value[1 : value.rstrip().rfind(quote)] if value.rstrip().endswith(quote) else value[1:]
    other = "'" if quote == '"' else '"'
    kind = "single" if quote == '"' else "double"
    doubled = ", or write each ' inside as ''" if quote == "'" else ""
    instead = (
        f"put the text in {kind} quotes instead, e.g. {other}{meant}{other}{doubled}, or"
        if other not in meant
        else "it has both kinds of quote, so"
    )
    message = (
        f"a {quote} inside the text ended it early (the text opens with {quote}, so this {quote} "
        f'closes it): {instead} write it as a > block (content/README.md, "Quotes")'
    )
    return Explained(line + 1, start + close + 1, message)


def _tab(line: int, here: str, problem: str) -> Explained | None:
    if "'\\t'" not in problem:
        return None
    column = here.find("\t")
    message = (
        "this line has a tab where YAML expects spaces: YAML indents with spaces only; replace the "
        "tab with spaces, lined up with the keys around it (editors can turn tabs into spaces)"
    )
    return Explained(line + 1, max(column, 0) + 1, message)


def _template_start(line: int, here: str) -> Explained | None:
    """`say: {{ learner.first_name }}, hi` reads as a YAML mapping inside a mapping."""
    start, value = _value(here)
    if not value.startswith("{{"):
        return None
    message = (
        "a text that starts with {{ must be in quotes, or YAML reads the braces as a mapping: "
        f"write {_quoted(value.rstrip())}"
    )
    return Explained(line + 1, start + 1, message)


def _bracket_start(line: int, here: str) -> Explained | None:
    """`title: [Beta] Tasklane`: YAML reads the brackets as a list, then finds words after it."""
    start, value = _value(here)
    if not value or value[0] not in "[{":
        return None
    what = "a list" if value[0] == "[" else "a mapping"
    message = (
        f"a text that starts with {value[0]} must be in quotes, or YAML reads it as {what}: "
        f"write {_quoted(value.rstrip())}"
    )
    return Explained(line + 1, start + 1, message)


def _quoted(value: str) -> str:
    return f'"{value}"' if '"' not in value else "'" + value.replace("'", "''") + "'"


def _unclosed_bracket(lines: list[str], error: MarkedYAMLError) -> Explained | None:
    """`title: [Beta] Tasklane`, or a list left open: the `[` or `{` that started it never closes."""
    context = error.context_mark
    if context is None or not _FLOW_START.match(error.context or ""):
        return None
    here = lines[context.line] if context.line < len(lines) else ""
    opener = here[context.column : context.column + 1] or "["
    closer = "]" if opener == "[" else "}"
    what = "list" if opener == "[" else "mapping"
    start, value = _value(here)
    text = f"; if the text is meant to start with {opener}, put it in quotes: {_quoted(value.rstrip())}"
    message = (
        f"the {opener} here starts a {what} that is not closed as YAML expects: close it with "
        f"{closer} on this line, separating items with commas"
        f"{text if start == context.column else ''}"
    )
    return Explained(context.line + 1, context.column + 1, message)


def _no_space_after_colon(lines: list[str], error: MarkedYAMLError) -> Explained | None:
    """`title:Hello` at the top of a mapping: YAML reads one word and then looks for a colon."""
    context = error.context_mark
    if context is None or not (error.context or "").startswith("while scanning a simple key"):
        return None
    here = lines[context.line] if context.line < len(lines) else ""
    found = re.match(r"^([ \t]*(?:-[ \t]+)*)([\w-]+):(\S.*)$", here)
    if found is None:
        return None
    key, value = found.group(2), found.group(3).rstrip()
    message = f"a key needs a space after its colon: write `{key}: {value}`"
    return Explained(context.line + 1, len(found.group(1)) + len(key) + 2, message)


def _colon_in_value(lines: list[str], line: int, column: int, here: str, problem: str) -> Explained | None:
    if not problem.startswith("mapping values are not allowed here"):
        return None
    start, value = _value(here)
    if start < column and value and value[0] not in "\"'[{":
        words = here[start:column].strip()
        message = (
            f"the ': ' after '{words}' makes YAML read a new key inside this text: put the whole text "
            f"in quotes: {_quoted(value.rstrip())}"
        )
        return Explained(line + 1, column + 1, message)
    indent = len(here) - len(here.lstrip(" "))
    above = next((text for text in reversed(lines[:line]) if text.strip()), "")
    above_indent = len(above) - len(above.lstrip(" -"))
    message = (
        f"this line is indented {indent} spaces, which fits no key above it (the line above starts at "
        f"column {above_indent + 1}): keys of one mapping start at the same column"
    )
    return Explained(line + 1, indent + 1, message)
