"""The pages of the documentation shipped with mvcpy: found, rendered and searched."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mvcpy._resources import resource_dir

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

__all__ = ["Hit", "Manual", "Page"]

_LINK = re.compile(r'href="(?!https?:|#|/)([a-z0-9-]+)\.md(#[^"]*)?"')
_MAX_QUERY = 100
_MAX_HITS = 30


@dataclass(frozen=True)
class Page:
    """One page: its name (``routing``), title and Markdown source."""

    name: str
    title: str
    source: str


@dataclass(frozen=True)
class Hit:
    """A page that matches a search, with its best lines (HTML, the words marked)."""

    page: Page
    score: int
    lines: tuple[str, ...]


class Manual:
    """The documentation of this mvcpy: ``docs/`` of the installed package."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or resource_dir("docs")

    @functools.cached_property
    def pages(self) -> dict[str, Page]:
        """Every page by name, getting started first, then by title."""
        found = {}
        for path in sorted(self.directory.glob("*.md")):
            source = path.read_text(encoding="utf-8")
            title = next(
                (line[2:].strip() for line in source.splitlines() if line.startswith("# ")),
                path.stem,
            )
            found[path.stem] = Page(path.stem, title, source)
        order = sorted(found.values(), key=lambda p: (p.name != "getting-started", p.title))
        return {page.name: page for page in order}

    def path(self, name: str) -> Path | None:
        """The file of page ``name``, or ``None``."""
        return self.directory / f"{name}.md" if name in self.pages else None

    def render(self, name: str, base: str) -> str | None:
        """Page ``name`` as HTML, its links to other pages under ``base``; ``None`` if none."""
        page = self.pages.get(name)
        if page is None:
            return None
        body = _markdown().render(page.source)
        return _LINK.sub(lambda m: f'href="{base}/{m.group(1)}{m.group(2) or ""}"', body)

    def search(self, query: str) -> list[Hit]:
        """Pages holding every word of ``query`` (any case), most mentions first."""
        words = [w for w in re.findall(r"\w+", query[:_MAX_QUERY].lower()) if len(w) > 1]
        if not words:
            return []
        hits = []
        for page in self.pages.values():
            text = page.source.lower()
            if not all(word in text for word in words):
                continue
            score = sum(text.count(word) for word in words) + 10 * sum(
                word in page.title.lower() for word in words
            )
            # The lines holding the most of the words, in page order among equals.
            ranked = sorted(
                (
                    (-sum(word in line.lower() for word in words), number, line)
                    for number, line in enumerate(page.source.splitlines())
                    if not line.startswith("```")
                ),
            )
            lines = [_mark(line, words) for matched, _, line in ranked[:3] if matched]
            hits.append(Hit(page, score, tuple(lines)))
        hits.sort(key=lambda hit: -hit.score)
        return hits[:_MAX_HITS]


def _mark(line: str, words: list[str]) -> str:
    text = html.escape(line.strip().lstrip("#|- ").strip())[:240]
    pattern = "|".join(re.escape(html.escape(word)) for word in words)
    return re.sub(f"({pattern})", r"<mark>\1</mark>", text, flags=re.I)


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")
