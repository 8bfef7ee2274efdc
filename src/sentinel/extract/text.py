"""Text out of HTML nodes and fragments: whitespace collapsed, blocks on their own lines."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sentinel.extract.tame import tame_html

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


# Nodes of one short cell (a date, a status label) read before it is judged no short cell:
# selectors such as `span, div, td` match every element of a nest, and reading each one's
# whole text was quadratic (38k nested <div>: 4.5 s; 511 nested cells of a 1 MB page: 3 s).
SHORT_NODES = 64


def short_text(node: LexborNode, limit: int) -> str | None:
    """inline_text(node) when the node holds at most `limit` characters besides whitespace,
    in at most SHORT_NODES nodes; else None, with no more of the node read than that."""
    pieces: list[str] = []
    size = 0
    for count, n in enumerate(node.traverse(include_text=True)):
        if count > SHORT_NODES:
            return None
        if n.tag == "-text":
            piece = n.text_content or ""
            if len(piece) > limit * 64:  # more than a cell's indentation around its text
                return None
            size += sum(map(len, piece.split()))
            if size > limit:
                return None
            pieces.append(piece)
    return collapse("".join(pieces))


def block_text(node: LexborNode) -> str:
    """Several lines, one per block element: a post body."""
    chunks: list[str] = []
    resume: LexborNode | None = None  # the first node after a script/style subtree
    skipping = False
    for n in node.traverse(include_text=True):
        if skipping:
            # traverse has no way to prune a subtree: skip until the node that follows it.
            # Asking each node whether it lies inside the hidden one walked up its ancestors,
            # and 10k unclosed <span> after an <object> took seconds.
            if resume is None or n.mem_id != resume.mem_id:
                continue
            skipping = False
        tag = n.tag
        if tag == "-text":
            chunks.append(n.text_content or "")
        elif tag in HIDDEN:
            skipping, resume = True, _after(n, node)
        elif tag in BLOCKS:
            chunks.append("\n")
    lines = (collapse(line) for line in "".join(chunks).split("\n"))
    return "\n".join(line for line in lines if line)


def _after(n: LexborNode, top: LexborNode) -> LexborNode | None:
    """The node after n's subtree in document order, within top (None: n's subtree ends it).

    Linear over a whole traversal: the ancestors climbed here are last children whose
    subtrees end where n's does, so no later call climbs them again."""
    while n.mem_id != top.mem_id:
        if n.next is not None:
            return n.next
        parent = n.parent
        if parent is None:
            return None
        n = parent
    return None


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, e.g. a feed's summary; plain text passes through."""
    if "<" not in fragment and "&" not in fragment:
        return "\n".join(line for line in (collapse(s) for s in fragment.split("\n")) if line)
    tree = LexborHTMLParser(tame_html(fragment))
    root = tree.body or tree.root
    return block_text(root) if root is not None else ""
