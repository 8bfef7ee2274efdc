"""Text out of HTML nodes and fragments: whitespace collapsed, blocks on their own lines."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Elements that start a new line when rendered; other tags join their text to the line.
BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
HIDDEN = frozenset({"script", "style", "noscript", "template", "iframe", "object"})


def collapse(text: str) -> str:
    """Runs of whitespace (including U+00A0 and U+3000) as one space, ends trimmed."""
    return " ".join(text.split())


def inline_text(node: LexborNode) -> str:
    """One line: a title, a date, a count."""
    return collapse(node.text(deep=True))


def block_text(node: LexborNode) -> str:
    """Several lines, one per block element: a post body."""
    chunks: list[str] = []
    hidden: LexborNode | None = None
    for n in node.traverse(include_text=True):
        if hidden is not None:
            # Skip the rest of a script/style subtree: traverse has no way to prune it.
            parent = n.parent
            while parent is not None and parent.mem_id != hidden.mem_id:
                parent = parent.parent
            if parent is not None:
                continue
            hidden = None
        tag = n.tag
        if tag == "-text":
            chunks.append(n.text_content or "")
        elif tag in HIDDEN:
            hidden = n
        elif tag in BLOCKS:
            chunks.append("\n")
    lines = (collapse(line) for line in "".join(chunks).split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, e.g. a feed's summary; plain text passes through."""
    if "<" not in fragment and "&" not in fragment:
        return "\n".join(line for line in (collapse(s) for s in fragment.split("\n")) if line)
    tree = LexborHTMLParser(fragment)
    root = tree.body or tree.root
    return block_text(root) if root is not None else ""
