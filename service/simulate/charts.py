"""Inline SVG charts for the report page: no chart library, nothing fetched."""

import html

COLOURS = ("#d33", "#36c", "#393", "#c90")


def bars(series: dict, width: int = 640, height: int = 160) -> str:
    """A bar chart of `series` (label: value), first and last labels under it."""
    if not series:
        return "<p>none</p>"
    top, step = max(series.values()) or 1, width / len(series)
    shapes = "".join(
        f'<rect x="{n * step:.1f}" y="{height - v / top * height:.1f}" '
        f'width="{max(step - 1, 1):.1f}" height="{v / top * height:.1f}" fill="{COLOURS[0]}">'
        f"<title>{html.escape(str(k))}: {v}</title></rect>"
        for n, (k, v) in enumerate(series.items())
    )
    return _frame(shapes, list(series), top, width, height)


def lines(named: dict[str, dict], width: int = 640, height: int = 160) -> str:
    """One polyline per name over the union of the series' labels, with a legend."""
    labels = sorted({label for series in named.values() for label in series})
    if not labels:
        return "<p>none</p>"
    top = max((v for series in named.values() for v in series.values()), default=0) or 1
    step = width / max(len(labels) - 1, 1)
    shapes, legend = [], []
    for colour, (name, series) in zip(COLOURS, named.items(), strict=False):
        points = " ".join(
            f"{n * step:.1f},{height - series.get(label, 0) / top * height:.1f}"
            for n, label in enumerate(labels)
        )
        shapes.append(f'<polyline points="{points}" fill="none" stroke="{colour}"/>')
        legend.append(f'<span style="color:{colour}">■ {html.escape(name)}</span>')
    return _frame("".join(shapes), labels, top, width, height) + " ".join(legend)


def _frame(shapes: str, labels: list, top: float, width: int, height: int) -> str:
    first, last = html.escape(str(labels[0])), html.escape(str(labels[-1]))
    return (
        f'<svg width="{width + 60}" height="{height + 20}" role="img">'
        f'<g transform="translate(50,0)">{shapes}</g>'
        f'<text x="0" y="12" font-size="11">{top:g}</text>'
        f'<text x="50" y="{height + 16}" font-size="11">{first}</text>'
        f'<text x="{width + 50}" y="{height + 16}" font-size="11" text-anchor="end">{last}'
        "</text></svg>"
    )
