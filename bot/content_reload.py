"""Content edits reach a running bot: the content folder is looked at every few seconds and,
when a file changed, loaded again and swapped in whole.

Authors fix a typo or add an FAQ entry without a restart, and every `lessonloop run`
process picks it up on its own. A change is taken only if the whole pack validates: a
broken file is logged with every `file:line:column` problem and the bot keeps answering
from the content it had, so a half-saved file never reaches a learner. The FAQ index is
refreshed with it (`FaqMatcher.refresh` embeds only the texts it has not seen).
Conversations stay valid across a swap: prompts and steps that no longer exist are
answered as expired, as a stale button always is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from bot.content.errors import ContentInvalid
from bot.content.loader import find_content_files, load_content
from bot.content.model import ContentPack

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0

Fingerprint = tuple[tuple[str, int, int], ...]
"""Each content file's path, modification time and size."""


def fingerprint(folder: Path) -> Fingerprint:
    """What tells a changed content folder from an unchanged one, without reading it."""
    found: list[tuple[str, int, int]] = []
    for path in find_content_files([folder]):
        try:
            status = path.stat()
        except OSError:
            continue  # removed between listing and looking: the next look sees it gone
        found.append((str(path), status.st_mtime_ns, status.st_size))
    return tuple(sorted(found))


class ContentReloader:
    """Hands a new content pack to `use` (`Engine.use_content`) when the files under
    `folder` change."""

    def __init__(self, folder: Path, default_locale: str, use: Callable[[ContentPack], None]) -> None:
        self.folder = folder
        self._default_locale = default_locale
        self._use = use
        self._seen = fingerprint(folder)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Load the folder again if it changed since the last look; True if the bot now
        answers from new content."""
        now = fingerprint(self.folder)
        if now == self._seen:
            return False
        self._seen = now
        try:
            content = load_content([self.folder], self._default_locale)
        except ContentInvalid as invalid:
            for error in invalid.errors:
                log.error("content not reloaded: %s", error)
            log.error("the bot keeps the content it had until %s is fixed", self.folder)
            return False
        self._use(content)
        log.warning("content reloaded from %s", self.folder)
        return True

    def start(self, every_s: float = CHECK_EVERY_S) -> None:
        """Look every `every_s` seconds, on a thread of its own, until `stop`."""
        self._thread = threading.Thread(
            target=self._watch, args=(every_s,), name="lessonloop-content", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self, every_s: float) -> None:
        while not self._stopping.wait(every_s):
            try:
                self.check()
            except Exception:
                log.exception("looking for content changes failed; looking again in %s s", every_s)
