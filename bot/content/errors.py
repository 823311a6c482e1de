"""Content problems as authors see them.

Every stage of loading (YAML parsing, the JSON Schema, the cross-reference checks) reports
problems as `ContentError`s, so `lessonloop validate` can print them all at once, sorted, in
the `file:line:column: path: message` shape editors and CI logs turn into clickable links.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ContentError:
    """One problem in one content file, located as precisely as the YAML allows."""

    file: str
    """The path as given, or relative to the working directory when possible."""
    line: int
    """1-based."""
    column: int
    """1-based."""
    path: str
    """Slash-separated path inside the file, e.g. `lessons/0/steps/2/goto`; "" for the file itself."""
    message: str
    """Plain words an author understands."""
    warning: bool = False
    """Worth a look but not wrong (a snippet nobody uses): the content still loads."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        message = f"warning: {self.message}" if self.warning else self.message
        return f"{where}: {readable_path(self.path)}: {message}" if self.path else f"{where}: {message}"


_ITEM_NAMES = {
    "lessons": "lesson",
    "steps": "step",
    "choices": "choice",
    "questions": "question",
    "options": "option",
    "entries": "entry",
    "variants": "variant",
    "triggers": "trigger",
    "reminders": "reminder",
    "holidays": "holiday",
    "days": "day",
    "phrasings": "phrasing",
    "quiz_score": "quiz score",
}
"""What one item of each list in content is called, as authors count them."""


def readable_path(path: str) -> str:
    """`lessons/2/steps/1/goto` as "lesson 3, step 2 (lessons/2/steps/1/goto)": authors count
    from 1, YAML paths from 0, and both are shown; a path without list items stays as it is."""
    parts = path.split("/")
    counted = [
        f"{_ITEM_NAMES[parts[index - 1]]} {int(part) + 1}"
        for index, part in enumerate(parts)
        if part.isdigit() and index > 0 and parts[index - 1] in _ITEM_NAMES
    ]
    return f"{', '.join(counted)} ({path})" if counted else path


def sort_errors(errors: Iterable[ContentError]) -> list[ContentError]:
    """Errors in file, line, column order, each reported once."""
    return sorted(set(errors))


class ContentInvalid(Exception):  # noqa: N818 - the name other code already uses
    """Raised by `load_content` when any file has any problem; carries every problem found
    (warnings are not problems, and never raise)."""

    def __init__(self, errors: Iterable[ContentError]) -> None:
        self.errors: tuple[ContentError, ...] = tuple(sort_errors(errors))
        count = len(self.errors)
        lines = "\n".join(str(error) for error in self.errors)
        super().__init__(f"{count} content problem{'s' if count != 1 else ''}:\n{lines}")


PathPart = str | int
"""One step of a path inside a file: a mapping key or a list index."""


def key_text(key: object) -> str:
    """A YAML mapping key as the text JSON (and so the schema) sees: `true` stays `true`, 1 becomes `1`."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


@dataclass(frozen=True)
class SourceFile:
    """One parsed content file: the ruamel tree (for line numbers) and its plain JSON-like data.

    The plain data is what the schema, the checks and the model builder read; the ruamel tree
    is kept only to turn a path inside the file back into a line and column for authors.
    """

    name: str
    tree: object
    data: Mapping[str, object]

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def default_locale(self) -> str:
        value = self.data.get("default_locale")
        return value if isinstance(value, str) else DEFAULT_FILE_LOCALE

    def position(self, path: Sequence[PathPart], at_value: bool = False) -> tuple[int, int]:
        """0-based line and column of the deepest node of `path` that exists in the file."""
        node = self.tree
        lc = getattr(node, "lc", None)
        where = (lc.line, lc.col) if lc is not None else (0, 0)
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if isinstance(node, dict) and not isinstance(part, int):
                key = next((key for key in node if key_text(key) == part), _MISSING)
                if key is _MISSING:
                    break
                lc = node.lc  # type: ignore[attr-defined]
                where = lc.value(key) if last and at_value else lc.key(key)
                node = node[key]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                where = node.lc.item(part)  # type: ignore[attr-defined]
                node = node[part]
            else:
                break
        return int(where[0]), int(where[1])

    def node(self, path: Sequence[PathPart]) -> object:
        """The ruamel node at `path` (to tell a `|` block string from a one-line one), or None."""
        node = self.tree
        for part in path:
            if isinstance(node, dict) and not isinstance(part, int):
                node = next((value for key, value in node.items() if key_text(key) == part), None)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return None
        return node

    def error(
        self,
        path: Sequence[PathPart],
        message: str,
        *,
        at_value: bool = False,
        line_offset: int = 0,
        warning: bool = False,
    ) -> ContentError:
        """An error at `path`; `line_offset` moves it down to a line inside a multi-line string."""
        line, column = self.position(path, at_value)
        path_text = "/".join(str(part) for part in path)
        return ContentError(self.name, line + 1 + line_offset, column + 1, path_text, message, warning)


DEFAULT_FILE_LOCALE = "en"
"""The `default_locale` of a file that does not say (see content/README.md)."""

_MISSING = object()
