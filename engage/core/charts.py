"""Charts drawn on the server as accessible SVG, with no chart JavaScript.

A chart is a picture of figures that the page always shows in a table as well, so the table is
what screen readers, keyboard users and people who zoom rely on; the chart is for sighted
readers who take in a shape faster than a column of numbers. Each one is ``role="img"``, named
by its own ``<title>`` and ``<desc>`` (which points to the table) through ``aria-labelledby``,
and not focusable.

The drawing scales to its container (``width="100%"`` and a ``viewBox`` sized for a 320 pixel
phone); on a wide screen keep it in a column of about 20 to 30em, or its text grows large. It
uses GOV.UK Frontend's colours, prints every value as text so that nothing depends on telling
colours apart, takes the page's font, and uses presentation attributes only (the Content
Security Policy forbids inline styles). In a right-to-left language the chart is mirrored: bars
grow from the right and time runs from right to left.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from engage.core.i18n import text_direction

# GOV.UK Frontend's palette.
BLUE = "#1d70b8"
TEXT = "#0b0c0c"
DARK_GREY = "#505a5f"
MID_GREY = "#b1b4b6"
LIGHT_GREY = "#f3f2f1"
WHITE = "#ffffff"

#: Width of every chart in viewBox units: at 320 pixels wide, one unit is about one pixel.
WIDTH = 320
FONT_SIZE = 16
SMALL_FONT_SIZE = 14
LINE_HEIGHT = 20
#: Roughly how wide a character is, as a share of the font size, to fit text without a browser
#: (on the wide side: digits and "%" in most fonts are wider than the average letter).
CHAR_WIDTH = 0.6

#: Labels longer than this are cut short with an ellipsis; the table has them in full.
MAX_LABEL_CHARS = 60

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def bar_chart(
    bars: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    id_prefix: str,
    max_value: float = 100,
    direction: str | None = None,
) -> Markup:
    """Horizontal bars, one for each ``(label, value, text)``, from 0 to ``max_value``.

    ``text`` is the value as printed beside its bar ("62%"). A value of None (hidden, or
    suppressed for privacy) draws no bar but still prints its text ("Not shown"). Each label
    sits above its bar, wrapped over as many lines as it needs, so long ones fit on a phone.
    Values are drawn between 0 and ``max_value``. ``direction`` is "ltr" or "rtl", the current
    language's by default. No bars, no chart: an empty Markup.
    """
    if not bars:
        return Markup("")
    rtl = _is_rtl(direction)
    parts: list[Markup] = []
    y = 4
    for label, value, text in bars:
        for line in _wrap(label, _chars_that_fit(WIDTH, FONT_SIZE)):
            y += LINE_HEIGHT
            parts.append(_text(line, 0, y - 5, rtl=rtl, size=FONT_SIZE))
        y += 4
        bar_height = 24
        text_y = y + bar_height / 2 + SMALL_FONT_SIZE * 0.35
        width = _share(value, max_value) * WIDTH
        fill = TEXT
        if value is not None and _finite(value):
            if width and width < 2:
                width = 2  # a small value still shows, apart from 0
            # The grey track shows how far a bar could go, so a short one is plainly short.
            parts.append(_rect(0, y, WIDTH, bar_height, LIGHT_GREY, rtl=rtl, name="track"))
            parts.append(_rect(0, y, width, bar_height, BLUE, rtl=rtl, name="bar"))
        else:  # no track either, so that "Not shown" cannot be taken for 0
            fill = DARK_GREY
        text_width = _text_width(text, SMALL_FONT_SIZE)
        if width + 6 + text_width <= WIDTH or width < text_width + 12:
            parts.append(_text(text, width + 6, text_y, rtl=rtl, size=SMALL_FONT_SIZE, fill=fill))
        else:  # no room after the bar: inside its end, white on blue (5.2:1)
            parts.append(
                _text(text, width - 6, text_y, rtl=rtl, size=SMALL_FONT_SIZE, end=True, fill=WHITE)
            )
        y += bar_height + 16
    return _svg(parts, height=y - 8, title=title, id_prefix=id_prefix, rtl=rtl)


def line_chart(
    points: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    id_prefix: str,
    y_max: float = 100,
    y_label: str = "%",
    direction: str | None = None,
) -> Markup:
    """One series over time, one ``(label, value, text)`` for each round ("H1 2026").

    Each value has a circle with its ``text`` printed above it; a line joins consecutive
    values, with a gap at a value of None (whose text, "Not shown", is printed without a
    circle). Gridlines mark 0 and each quarter of ``y_max``, labelled with ``y_label`` after
    the number ("50%"; a word gets a space: "10 people"); values are drawn between 0 and
    ``y_max``, which must be above 0. No points, no chart: an empty Markup.
    """
    if not points:
        return Markup("")
    if not (_finite(y_max) and y_max > 0):
        raise ValueError(f"y_max must be a number above 0, not {y_max!r}")
    rtl = _is_rtl(direction)
    ticks = [y_max * quarter / 4 for quarter in range(5)]
    tick_texts = [_tick_text(tick, y_label) for tick in ticks]
    left = max(_text_width(text, SMALL_FONT_SIZE) for text in tick_texts) + 12
    right = 16
    top = 36  # room for the value printed above a point at the very top
    plot_height = 160
    bottom = top + plot_height
    column = (WIDTH - left - right) / len(points)
    labels = [_shorten(label) for label, _value, _text_ in points]
    # Every round's label, or every second (third...) one when that many do not fit side by
    # side without breaking a word; the table has them all.
    widest = max(
        (_text_width(word, SMALL_FONT_SIZE) for line in labels for word in line.split()),
        default=0,
    )
    step = max(1, math.ceil((widest + 8) / column))
    x_labels = [
        _wrap(label, _chars_that_fit(column * step - 8, SMALL_FONT_SIZE), whole_words=True)
        if i % step == 0
        else []
        for i, label in enumerate(labels)
    ]
    height = bottom + 12 + LINE_HEIGHT * max(1, *(len(lines) for lines in x_labels))

    parts: list[Markup] = []
    for tick, text in zip(ticks, tick_texts, strict=True):
        tick_y = bottom - _share(tick, y_max) * plot_height
        colour = DARK_GREY if tick == 0 else MID_GREY
        parts.append(_line(left, WIDTH - right, tick_y, colour, rtl=rtl))
        parts.append(
            _text(text, left - 6, tick_y + 5, rtl=rtl, size=SMALL_FONT_SIZE, end=True, fill=TEXT)
        )

    xs = [left + column * (i + 0.5) for i in range(len(points))]
    ys: list[float | None] = [
        None if value is None or not _finite(value) else bottom - _share(value, y_max) * plot_height
        for _label, value, _text_ in points
    ]
    run: list[tuple[float, float]] = []
    for x, y in [*zip(xs, ys, strict=True), (0.0, None)]:
        if y is not None:
            run.append((x, y))
            continue
        if len(run) > 1:
            parts.append(_polyline(run, rtl=rtl))
        run = []
    for (_label, _value, text), x, y, lines in zip(points, xs, ys, x_labels, strict=True):
        if y is None:  # no circle, and the text ("Not shown") across the middle
            wrapped = _wrap(text, _chars_that_fit(column - 4, SMALL_FONT_SIZE), whole_words=True)
            for i, line in enumerate(wrapped):
                line_y = top + plot_height / 2 + LINE_HEIGHT * (i - (len(wrapped) - 1) / 2)
                parts.append(
                    _text(
                        line, x, line_y, rtl=rtl, size=SMALL_FONT_SIZE, middle=True, fill=DARK_GREY
                    )
                )
        else:
            parts.append(_circle(x, y, rtl=rtl))
            parts.append(_text(text, x, y - 12, rtl=rtl, size=SMALL_FONT_SIZE, middle=True))
        for i, line in enumerate(lines):
            line_y = bottom + 8 + LINE_HEIGHT * (i + 1) - 5
            parts.append(_text(line, x, line_y, rtl=rtl, size=SMALL_FONT_SIZE, middle=True))
    return _svg(parts, height=height, title=title, id_prefix=id_prefix, rtl=rtl)


def _svg(parts: list[Markup], *, height: float, title: str, id_prefix: str, rtl: bool) -> Markup:
    if not _ID.fullmatch(id_prefix):
        raise ValueError(f"not usable as the start of an id: {id_prefix!r}")
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img"'
        ' aria-labelledby="{prefix}-title {prefix}-desc" focusable="false"'
        ' viewBox="0 0 {width} {height}" width="100%" font-family="inherit" direction="{dir}">'
        '<title id="{prefix}-title">{title}</title><desc id="{prefix}-desc">{desc}</desc>'
        "{parts}</svg>"
    ).format(
        prefix=id_prefix,
        width=WIDTH,
        height=_n(height),
        dir="rtl" if rtl else "ltr",
        title=title,
        desc=_("The same figures are in the table below."),
        parts=Markup("").join(parts),
    )


def _is_rtl(direction: str | None) -> bool:
    if direction is None:
        locale = get_locale()
        direction = text_direction(str(locale)) if locale else "ltr"
    if direction not in ("ltr", "rtl"):
        raise ValueError(f"direction must be 'ltr' or 'rtl', not {direction!r}")
    return direction == "rtl"


def _x(x: float, rtl: bool) -> float:
    """Where ``x`` (measured from the start of the line) is drawn: mirrored right to left."""
    return WIDTH - x if rtl else x


def _text(
    text: str,
    x: float,
    y: float,
    *,
    rtl: bool,
    size: int,
    end: bool = False,
    middle: bool = False,
    fill: str = TEXT,
) -> Markup:
    # "start" and "end" follow the direction set on the <svg>, so they mirror with it. Dark
    # text gets a white outline, to stay readable where it crosses a line or the grey track.
    anchor = "middle" if middle else "end" if end else "start"
    halo = (
        Markup(' stroke="{}" stroke-width="4" stroke-linejoin="round" paint-order="stroke"').format(
            WHITE
        )
        if fill != WHITE
        else ""
    )
    return Markup(
        '<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="{}"{}>{}</text>'
    ).format(_n(_x(x, rtl)), _n(y), size, fill, anchor, halo, text)


def _rect(
    x: float, y: float, width: float, height: float, fill: str, *, rtl: bool, name: str
) -> Markup:
    left = WIDTH - x - width if rtl else x
    return Markup(
        '<rect class="app-chart__{}" x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
    ).format(name, _n(left), _n(y), _n(width), _n(height), fill)


def _line(x1: float, x2: float, y: float, colour: str, *, rtl: bool) -> Markup:
    return Markup(
        '<line class="app-chart__grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"'
        ' stroke-width="1"/>'
    ).format(_n(_x(x1, rtl)), _n(y), _n(_x(x2, rtl)), _n(y), colour)


def _polyline(run: list[tuple[float, float]], *, rtl: bool) -> Markup:
    points = " ".join(f"{_n(_x(x, rtl))},{_n(y)}" for x, y in run)
    return Markup(
        '<polyline class="app-chart__line" points="{}" fill="none" stroke="{}"'
        ' stroke-width="3" stroke-linejoin="round" stroke-linecap="round"/>'
    ).format(points, BLUE)


def _circle(x: float, y: float, *, rtl: bool) -> Markup:
    return Markup(
        '<circle class="app-chart__point" cx="{}" cy="{}" r="5" fill="{}" stroke="{}"'
        ' stroke-width="2"/>'
    ).format(_n(_x(x, rtl)), _n(y), BLUE, WHITE)


def _share(value: float | None, most: float) -> float:
    """``value`` as a share of ``most``, from 0 to 1 (0 when there is nothing to measure)."""
    if value is None or not _finite(value) or not _finite(most) or most <= 0:
        return 0.0
    return min(max(value / most, 0.0), 1.0)


def _finite(value: float) -> bool:
    return math.isfinite(value)


def _wrap(label: str, width: int, *, whole_words: bool = False) -> list[str]:
    """A label over lines of about ``width`` characters (with ``whole_words``, a word longer
    than that has a line to itself rather than being split); never no lines, so every row
    keeps its place."""
    lines = textwrap.wrap(
        _shorten(label), max(width, 4), break_long_words=not whole_words, break_on_hyphens=False
    )
    return lines or [""]


def _shorten(label: str) -> str:
    """``label`` on one line, cut short with an ellipsis after :data:`MAX_LABEL_CHARS`."""
    label = " ".join(str(label).split())
    if len(label) > MAX_LABEL_CHARS:
        label = label[: MAX_LABEL_CHARS - 1].rstrip() + "…"
    return label


def _chars_that_fit(width: float, size: int) -> int:
    return int(width / (size * CHAR_WIDTH))


def _text_width(text: str, size: int) -> float:
    return len(text) * size * CHAR_WIDTH


def _tick_text(tick: float, unit: str) -> str:
    number = f"{tick:.1f}".rstrip("0").rstrip(".")
    if not unit or unit == "%":
        return f"{number}{unit}"
    return f"{number} {unit}"


def _n(number: float) -> str:
    """A coordinate written briefly: whole numbers without a point, others to one place."""
    return f"{round(number, 1) + 0.0:.1f}".rstrip("0").rstrip(".")
