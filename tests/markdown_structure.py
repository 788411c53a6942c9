"""Reading Markdown as a CommonMark reader does, to check that data never became markup."""

from __future__ import annotations

from markdown_it import MarkdownIt

# What our own templates write; anything else (HTML, links, emphasis, images, tables)
# can only have come from the data.
OURS = frozenset(
    {
        "heading_open",
        "heading_close",
        "paragraph_open",
        "paragraph_close",
        "bullet_list_open",
        "bullet_list_close",
        "list_item_open",
        "list_item_close",
        "fence",
        "inline",
        "text",
        "code_inline",
        "hr",
    }
)
_READER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def tokens(markdown: str) -> list[tuple[str, int]]:
    """Every token as (type, nesting level), inline children included, in order."""
    found = []
    for token in _READER.parse(markdown):
        found.append((token.type, token.level))
        for child in token.children or []:
            found.append((child.type, token.level + 1))
    return found


def markup_from_data(markdown: str) -> set[str]:
    """The token types in `markdown` that our templates never write."""
    return {kind for kind, _ in tokens(markdown)} - OURS


def code_texts(markdown: str) -> list[str]:
    """The contents of every inline code span and fenced block, as a reader sees them."""
    texts = []
    for token in _READER.parse(markdown):
        if token.type == "fence":
            texts.append(token.content)
        for child in token.children or []:
            if child.type == "code_inline":
                texts.append(child.content)
    return texts
