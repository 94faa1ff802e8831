"""The benchmarks' shared page, docs/benchmarks.md: each script owns one generated block."""

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def replace_block(start: str, end: str, block: str, *, heading: str) -> None:
    """Put ``block`` (which begins with ``start`` and ends with ``end``) in place of the
    block between those markers, or at the end of the page under ``heading``."""
    text = DOCS.read_text(encoding="utf-8")
    if start in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n"
    DOCS.write_text(text, encoding="utf-8")
