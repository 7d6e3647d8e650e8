"""Plotly styling shared by the report charts, and their strict JSON for the page.

Charts use a small layout of their own instead of a Plotly template, because
a template is copied into every figure's JSON and would add about 10 kB per
chart. Colours follow the Okabe-Ito palette, which stays distinguishable for
the common colour-vision deficiencies. Traffic-light colours are only used for
statuses, and every status is also written out as a word.
"""

from __future__ import annotations

import json
import math
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#6b6b6b"
PALETTE = (BLUE, ORANGE, "#009E73", VERMILLION, PURPLE, SKY, "#000000")

STATUS_COLOURS = {"green": "#1e7b34", "amber": "#b8860b", "red": "#c0392b"}
BAND_FILLS = {"green": "rgba(30,123,52,0.10)", "amber": "rgba(230,160,0,0.16)", "red": "rgba(192,57,43,0.14)"}

PLOT_CONFIG = {
    "displaylogo": False,
    "displayModeBar": "hover",
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def new_figure(*, x_title: str | None = None, y_title: str | None = None, height: int = 420) -> go.Figure:
    """Create an empty figure with the report's layout."""
    figure = go.Figure()
    figure.update_layout(
        template=None,
        height=height,
        margin={"l": 70, "r": 30, "t": 40, "b": 60},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12, "color": "#222"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(PALETTE),
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    )
    axis = {"showgrid": True, "gridcolor": "#e5e5e5", "zeroline": False, "linecolor": "#999", "showline": True,
            "ticks": "outside", "tickcolor": "#999", "automargin": True}
    figure.update_xaxes(title_text=x_title, **axis)
    figure.update_yaxes(title_text=y_title, **axis)
    return figure


def add_status_bands(figure: go.Figure, amber: float, red: float, *, axis: str = "y", lower_is_better: bool = True,
                     maximum: float | None = None) -> None:
    """Shade the green, amber and red bands of a threshold pair along ``axis`` ("x" or "y").

    With ``lower_is_better`` (PSI) values above ``red`` are red; otherwise
    (AUC) values below ``red`` are red.
    """
    top = max(maximum if maximum is not None else 0.0, red * 1.4, amber * 1.4)
    if lower_is_better:
        bands = (("green", 0.0, amber), ("amber", amber, red), ("red", red, top))
    else:
        bands = (("red", 0.0, red), ("amber", red, amber), ("green", amber, max(top, 1.0)))
    for status, start, end in bands:
        if end <= start:
            continue
        if axis == "y":
            figure.add_hrect(y0=start, y1=end, fillcolor=BAND_FILLS[status], line_width=0, layer="below")
        else:
            figure.add_vrect(x0=start, x1=end, fillcolor=BAND_FILLS[status], line_width=0, layer="below")
    for value, label in ((amber, "amber"), (red, "red")):
        line = {"color": STATUS_COLOURS[label], "dash": "dash", "width": 1}
        if axis == "y":
            figure.add_hline(y=value, line=line, annotation_text=f"{label} {value:g}", annotation_position="top right",
                             annotation_font_size=10)
        else:
            figure.add_vline(x=value, line=line, annotation_text=f"{label} {value:g}", annotation_position="top",
                             annotation_font_size=10)


def status_colours(statuses: list[str | None]) -> list[str]:
    """Map statuses to bar colours; grey for a figure without a status."""
    return [STATUS_COLOURS.get(status or "", GREY) for status in statuses]


def finite_or_none(value: Any) -> float | None:
    """Return ``value`` as a float when it is a finite number, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def figure_payload(figure: go.Figure) -> dict[str, Any]:
    """Return the figure's ``data``, ``layout`` and ``config`` as plain JSON values."""
    plain = json.loads(pio.to_json(figure, validate=False, engine="json"))
    return {"data": plain.get("data", []), "layout": plain.get("layout", {}), "config": PLOT_CONFIG}


def script_safe_json(value: Any) -> str:
    """Serialise ``value`` as JSON that cannot end or open an HTML element inside ``<script>``.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e`` and ``\\u0026``,
    and the JavaScript line separators U+2028 and U+2029 are escaped too, so
    a dataset or column name such as ``</script><script>`` stays data.
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text
