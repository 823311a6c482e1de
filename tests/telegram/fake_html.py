"""Telegram's HTML parse mode, as strict as Telegram: the text a message shows, and its
entities, from the `text` a bot sent with `parse_mode=HTML`.

Only Telegram's tags are accepted, tags must nest, and every `<`, `>` and `&` that is not
markup must arrive escaped; anything else is refused the way Telegram refuses it ("can't
parse entities"). Offsets and lengths are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
_TAG = re.compile(r'<(/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>')
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_HREF = re.compile(r'href="([^"]*)"')


class EntityParseError(ValueError):
    pass


@dataclass(frozen=True)
class Parsed:
    text: str
    entities: list[dict[str, Any]]


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(markup: str) -> Parsed:  # noqa: PLR0912 (one branch per token kind reads best)
    out: list[str] = []
    length = 0  # UTF-16 units written so far
    open_tags: list[tuple[str, int, str | None]] = []
    entities: list[dict[str, Any]] = []
    position = 0
    while position < len(markup):
        character = markup[position]
        if character == "<":
            match = _TAG.match(markup, position)
            if match is None:
                raise EntityParseError(f"can't parse entities: unexpected '<' at byte offset {position}")
            closing, name, attributes = match.group(1), match.group(2), match.group(3)
            if name not in TAGS:
                raise EntityParseError(
                    f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {position}'
                )
            if closing:
                if not open_tags or open_tags[-1][0] != name:
                    raise EntityParseError(
                        f'can\'t parse entities: Unmatched end tag "{name}" at byte offset {position}'
                    )
                _, start, url = open_tags.pop()
                if length > start:
                    entity: dict[str, Any] = {"type": TAGS[name], "offset": start, "length": length - start}
                    if url is not None:
                        entity["url"] = url
                    entities.append(entity)
            else:
                url = None
                if name == "a":
                    href = _HREF.search(attributes)
                    if href is None:
                        raise EntityParseError("can't parse entities: a link without href")
                    url = html.unescape(href.group(1))
                open_tags.append((name, length, url))
            position = match.end()
        elif character == "&":
            match = _ENTITY.match(markup, position)
            if match is None:
                raise EntityParseError(f"can't parse entities: unescaped '&' at byte offset {position}")
            decoded = html.unescape(match.group(0))
            out.append(decoded)
            length += units(decoded)
            position = match.end()
        elif character == ">":
            raise EntityParseError(f"can't parse entities: unescaped '>' at byte offset {position}")
        else:
            out.append(character)
            length += units(character)
            position += 1
    if open_tags:
        raise EntityParseError(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{open_tags[-1][0]}\""
        )
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return Parsed("".join(out), entities)
