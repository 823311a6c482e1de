"""Shared texts: written once in a `kind: snippets` file, included anywhere by name.

A text says `{{ snippet("support_hours") }}` and gets the snippet in its own locale (or the
snippet's default locale when that one is missing). Snippets are put in when the content is
loaded, before the model is built, so the engine and the renderer never see the call, and a
snippet's own placeholders (`{{ learner.first_name }}`) work as if written in place.
`validate` checks every name (see checks.py); a snippet cannot include another, so there
are no cycles to follow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SNIPPET_CALL = re.compile(r"""\{\{-?\s*snippet\(\s*(["'])([A-Za-z0-9_-]+)\1\s*\)\s*-?\}\}""")
"""`{{ snippet("name") }}` with either quote; the only form a snippet is included in."""


@dataclass(frozen=True)
class Snippet:
    """One shared text: its locale variants and the locale used when a text's own is missing."""

    variants: Mapping[str, str]
    default_locale: str

    def in_locale(self, locale: str) -> str:
        return self.variants.get(locale, self.variants.get(self.default_locale, ""))


def read_snippets(data: Mapping[str, Any], default_locale: str) -> dict[str, Snippet]:
    """The snippets of one `kind: snippets` file (already checked)."""
    found = {}
    for name, text in data["snippets"].items():
        variants = dict(text) if isinstance(text, dict) else {default_locale: text}
        found[name] = Snippet(variants, default_locale)
    return found


def put_in(text: str, locale: str, snippets: Mapping[str, Snippet]) -> str:
    """`text` with each `{{ snippet("name") }}` replaced by that snippet in `locale`."""
    if "snippet" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        snippet = snippets.get(match.group(2))
        return snippet.in_locale(locale) if snippet is not None else ""

    return SNIPPET_CALL.sub(replace, text)
