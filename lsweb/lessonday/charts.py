"""Small charts, drawn on the server as SVG with pygal: each case pupil's ratings across the cycle's
research lessons (a stacked bar per lesson), and a lesson's grid as a heat strip (a dot per stage and
pupil, its size the difference from the prediction).

Why pygal: a maintained pure-Python SVG library (no numpy, no browser code); its charts print sharply
and scale. Pages show them as images (`<img src="….svg">`): an SVG in an <img> never runs a script and
loads nothing, and pygal's stylesheet, which sits inside the SVG, then needs no exception to the
page's Content-Security-Policy; the chart's own response allows only inline styles (see
`svg_response`). pygal's tooltips script is turned off and any <script> element is removed. The same
figures are always on the page as a table, for screen readers and for reading exact values.
"""

from __future__ import annotations

import re
from collections import Counter

import pygal
from flask import make_response
from pygal.style import Style

from ..models import Rating

# One colour per rating, as in the grid (lsweb.css .rating-*), never the only cue: the legend names them.
COLOURS = {Rating.BETTER: "#1e6b34", Rating.AS_PREDICTED: "#1f5fa8", Rating.LESS_WELL: "#a32020",
           Rating.NOT_SEEN: "#6b7280"}
ORDER = (Rating.BETTER, Rating.AS_PREDICTED, Rating.LESS_WELL, Rating.NOT_SEEN)
STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#1d2430", foreground_strong="#1d2430",
              foreground_subtle="#c9d0d8", font_family="system-ui, sans-serif", label_font_size=12,
              major_label_font_size=12, legend_font_size=12, title_font_size=14,
              colors=tuple(COLOURS[r] for r in ORDER))
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def _options(title: str, width: int, height: int) -> dict:
    return {"js": [], "disable_xml_declaration": True, "explicit_size": True, "width": width, "height": height,
            "style": STYLE, "title": title, "legend_at_bottom": True, "legend_box_size": 10, "margin": 8,
            "show_y_guides": True, "print_values": False, "tooltip_fancy_mode": False}


def pupil_progress_svg(pupil_label: str, lesson_titles: list[str], counts: list[Counter]) -> str:
    """Stacked bars: per research lesson, how many notes rated the pupil better, as predicted, less well
    or not seen."""
    chart = pygal.StackedBar(**_options(f"{pupil_label}: ratings per research lesson", 420, 240),
                             y_title="Notes")
    chart.x_labels = lesson_titles
    for rating in ORDER:
        chart.add(rating.label, [counts[i].get(rating, 0) for i in range(len(lesson_titles))])
    return _clean(chart.render(is_unicode=True))


def grid_strip_svg(title: str, stage_labels: list[str], pupils: list[str], differences: list[list[int]]) -> str:
    """A heat strip of the grid: one row per case pupil, a dot per stage, larger where the notes differed
    more from the prediction."""
    chart = pygal.Dot(**_options(title, 560, 60 + 36 * max(1, len(pupils))), show_legend=False)
    chart.x_labels = stage_labels
    for index, pupil in enumerate(pupils):
        chart.add(pupil, [row[index] for row in differences])
    return _clean(chart.render(is_unicode=True))


def _clean(svg: str) -> str:
    return _SCRIPT.sub("", svg)


def svg_response(svg: str):
    response = make_response(svg)
    response.mimetype = "image/svg+xml"
    response.headers["Content-Security-Policy"] = SVG_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response
