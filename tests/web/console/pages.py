"""Reading pages in tests: the text a person sees, and a part by its id."""

from __future__ import annotations

from html.parser import HTMLParser


class _Text(HTMLParser):
    """Collects the text of a document (or of the element with `only_id`), scripts aside."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                      "meta", "source", "track", "wbr"})

    def __init__(self, only_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.only_id = only_id
        self.depth = 0 if only_id else 1  # > 0: inside what is read
        self.found = only_id is None
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self.only_id and self.depth == 0 and dict(attrs).get("id") == self.only_id:
            self.depth, self.found = 1, True
        elif self.depth and self.only_id:
            self.depth += 1
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if tag in ("script", "style"):
            self.skip -= 1
        if self.only_id and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.parts.append(data)


def text(html: str, only_id: str | None = None) -> str:
    """What a reader sees of `html` (of its element #only_id), whitespace collapsed."""
    parser = _Text(only_id)
    parser.feed(html)
    assert parser.found, f"no element #{only_id}"
    return " ".join(" ".join(parser.parts).split())
