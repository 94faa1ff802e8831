"""A horizontal bar chart of scores as SVG, drawn here (no charting library needed).

The same markup is inlined in the HTML report and embedded as an image in the PDF.
"""

from django.utils.html import escape

BLUE = "#005eb8"   # NHS blue: the score now
GREY = "#aeb7bd"   # the score at the last snapshot
TEXT = "#212b32"


def score_chart(rows: list[dict], *, width: int = 640) -> str:
    """``rows``: ``label``, ``score`` (0-100 or None) and ``previous`` (or None)."""
    label_width, bar_width, row_height = 110, width - 110 - 90, 34
    height = row_height * len(rows) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title">',
        '<title id="chart-title">Score by principle, now and at the last snapshot</title>',
    ]
    for i, row in enumerate(rows):
        y = 10 + i * row_height
        label = escape(row["label"] if len(row["label"]) <= 36 else row["label"][:35] + "\u2026")
        parts.append(f'<text x="0" y="{y + 15}" font-family="Helvetica, Arial, sans-serif" '
                     f'font-size="12" fill="{TEXT}">{label}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 2}" width="{bar_width}" height="16" '
                     f'fill="#f0f4f5"/>')
        score = row.get("score")
        if score is not None:
            parts.append(f'<rect x="{label_width}" y="{y + 2}" '
                         f'width="{bar_width * score / 100:.1f}" height="16" fill="{BLUE}"/>')
        previous = row.get("previous")
        if previous is not None:
            parts.append(f'<rect x="{label_width}" y="{y + 21}" '
                         f'width="{bar_width * previous / 100:.1f}" height="5" fill="{GREY}"/>')
        value = "not assessed" if score is None else f"{score:.1f}%"
        parts.append(f'<text x="{label_width + bar_width + 6}" y="{y + 15}" '
                     f'font-family="Helvetica, Arial, sans-serif" font-size="12" '
                     f'fill="{TEXT}">{value}</text>')
    legend_y = height - 12
    parts.append(f'<rect x="{label_width}" y="{legend_y - 9}" width="12" height="10" '
                 f'fill="{BLUE}"/>')
    parts.append(f'<text x="{label_width + 16}" y="{legend_y}" font-family="Helvetica, Arial, '
                 f'sans-serif" font-size="11" fill="{TEXT}">Score now</text>')
    parts.append(f'<rect x="{label_width + 100}" y="{legend_y - 6}" width="12" height="5" '
                 f'fill="{GREY}"/>')
    parts.append(f'<text x="{label_width + 116}" y="{legend_y}" font-family="Helvetica, Arial, '
                 f'sans-serif" font-size="11" fill="{TEXT}">At the last snapshot</text>')
    parts.append("</svg>")
    return "".join(parts)
