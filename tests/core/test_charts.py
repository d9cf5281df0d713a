import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from engage.core.charts import MAX_LABEL_CHARS, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"

BARS = [
    ("Strongly agree", 62.0, "62%"),
    ("Agree", 21.0, "21%"),
    ("Neither agree nor disagree", None, "Not shown"),
    ("Disagree", 0.0, "0%"),
    ("Strongly disagree", 100.0, "100%"),
]
POINTS = [
    ("H1 2025", 40.0, "40%"),
    ("H2 2025", 55.0, "55%"),
    ("H1 2026", None, "Not shown"),
    ("H2 2026", 100.0, "100%"),
    ("H1 2027", 0.0, "0%"),
]


def parse(chart: Markup) -> ET.Element:
    assert isinstance(chart, Markup)
    root = ET.fromstring(str(chart))
    assert root.tag == f"{SVG}svg"
    return root


def view_box(root: ET.Element) -> tuple[float, float]:
    x, y, width, height = (float(n) for n in root.get("viewBox").split())
    assert (x, y) == (0, 0)
    return width, height


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def bars_in(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "app-chart__bar"]


def assert_inside(root: ET.Element) -> None:
    width, height = view_box(root)
    for rect in root.iter(f"{SVG}rect"):
        x, y = float(rect.get("x")), float(rect.get("y"))
        assert 0 <= x <= x + float(rect.get("width")) <= width
        assert 0 <= y <= y + float(rect.get("height")) <= height
    for circle in root.iter(f"{SVG}circle"):
        r = float(circle.get("r"))
        assert r <= float(circle.get("cx")) <= width - r
        assert r <= float(circle.get("cy")) <= height - r
    for line in root.iter(f"{SVG}polyline"):
        for point in line.get("points").split():
            x, y = (float(n) for n in point.split(","))
            assert 0 <= x <= width and 0 <= y <= height
    for text in root.iter(f"{SVG}text"):
        assert 0 <= float(text.get("x")) <= width
        assert 14 <= float(text.get("y")) <= height  # room for the text above its baseline


CHARTS = {
    "bars": lambda **kw: bar_chart(BARS, title="How much do you agree?", id_prefix="q1", **kw),
    "all bars hidden": lambda **kw: bar_chart(
        [("Yes", None, "Not shown"), ("No", None, "Not shown")], title="Q", id_prefix="q2", **kw
    ),
    "one bar": lambda **kw: bar_chart([("Yes", 100.0, "100%")], title="Q", id_prefix="q3", **kw),
    "line": lambda **kw: line_chart(POINTS, title="Over time", id_prefix="t1", **kw),
    "one point": lambda **kw: line_chart(POINTS[:1], title="Once", id_prefix="t2", **kw),
    "every point hidden": lambda **kw: line_chart(
        [("H1 2026", None, "Not shown"), ("H2 2026", None, "Not shown")],
        title="Hidden",
        id_prefix="t3",
        **kw,
    ),
    "many points": lambda **kw: line_chart(
        [(f"Round {i}", i * 7.0, f"{i * 7}") for i in range(1, 13)],
        title="Many",
        id_prefix="t4",
        y_max=84,
        y_label="people",
        **kw,
    ),
}


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
@pytest.mark.parametrize("name", list(CHARTS))
def test_every_chart_is_well_formed_labelled_and_inside_its_view_box(name, direction):
    root = parse(CHARTS[name](direction=direction))

    assert root.get("role") == "img"
    assert root.get("focusable") == "false"
    assert root.get("width") == "100%"
    assert root.get("font-family") == "inherit"
    assert root.get("direction") == direction
    assert root.get("style") is None  # the Content Security Policy forbids inline styles
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert list(root)[:2] == [title, desc]
    assert desc.text == "The same figures are in the table below."
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert len(ids) == len(set(ids)) == 2
    assert_inside(root)


def test_ids_are_made_from_the_prefix_so_two_charts_on_a_page_do_not_clash():
    first = parse(bar_chart(BARS, title="Q1", id_prefix="question-1"))
    second = parse(line_chart(POINTS, title="Q1", id_prefix="question-1-trend"))
    first_ids = {element.get("id") for element in first.iter() if element.get("id")}
    second_ids = {element.get("id") for element in second.iter() if element.get("id")}
    assert first_ids == {"question-1-title", "question-1-desc"}
    assert second_ids == {"question-1-trend-title", "question-1-trend-desc"}


@pytest.mark.parametrize("prefix", ["", "1st", "a b", 'x"><script>', "q&a"])
def test_a_prefix_that_cannot_start_an_id_is_refused(prefix):
    with pytest.raises(ValueError, match="id"):
        bar_chart(BARS, title="Q", id_prefix=prefix)
    with pytest.raises(ValueError, match="id"):
        line_chart(POINTS, title="Q", id_prefix=prefix)


NASTY = "<script>alert('x')</script> & \"friends\""


def test_labels_titles_and_texts_are_escaped():
    charts = [
        bar_chart([(NASTY, 50.0, NASTY)], title=NASTY, id_prefix="a"),
        line_chart([(NASTY, 50.0, NASTY), ("B & C", None, "<b>")], title=NASTY, id_prefix="b"),
    ]
    for chart in charts:
        assert "<script" not in chart
        assert "<b>" not in chart
        assert "&amp;" in chart
        root = parse(chart)
        assert root.find(f"{SVG}title").text == NASTY
        assert NASTY in " ".join(texts(root))


def test_every_value_is_a_bar_and_every_text_is_printed():
    root = parse(bar_chart(BARS, title="Q", id_prefix="q"))
    bars = bars_in(root)
    assert len(bars) == sum(value is not None for _label, value, _text in BARS)
    shown = texts(root)
    for label, _value, text in BARS:
        assert label in shown
        assert text in shown
    assert shown.index("Strongly agree") < shown.index("Agree") < shown.index("Disagree")


def test_bars_are_as_long_as_their_share_of_the_maximum():
    root = parse(bar_chart(BARS, title="Q", id_prefix="q"))
    width, _height = view_box(root)
    lengths = [float(bar.get("width")) for bar in bars_in(root)]
    assert lengths == [0.62 * width, 0.21 * width, 0, width]
    root = parse(
        bar_chart([("Over", 250.0, "250"), ("Under", -4.0, "-4")], title="Q", id_prefix="q")
    )
    assert [float(bar.get("width")) for bar in bars_in(root)] == [width, 0]
    assert_inside(root)
    root = parse(bar_chart([("Half", 5.0, "5")], title="Q", id_prefix="q", max_value=10))
    assert [float(bar.get("width")) for bar in bars_in(root)] == [width / 2]


def test_a_tiny_value_still_shows_as_a_sliver():
    root = parse(bar_chart([("Tiny", 0.1, "0.1%")], title="Q", id_prefix="q"))
    assert float(bars_in(root)[0].get("width")) == 2


def test_right_to_left_bars_grow_from_the_right():
    root = parse(bar_chart(BARS[:1], title="Q", id_prefix="q", direction="rtl"))
    width, _height = view_box(root)
    bar = bars_in(root)[0]
    assert float(bar.get("x")) + float(bar.get("width")) == width


def test_long_labels_are_cut_short_and_wrapped_over_lines():
    long = "How satisfied are you with the support you had from your key worker this year?"
    root = parse(bar_chart([(long, 50.0, "50%")], title="Q", id_prefix="q"))
    lines = [text for text in texts(root) if text != "50%"]
    assert len(lines) > 1
    assert all(len(line) < 45 for line in lines)
    assert " ".join(lines).endswith("…")
    assert len(" ".join(lines)) == MAX_LABEL_CHARS
    short = parse(bar_chart([("Yes", 50.0, "50%")], title="Q", id_prefix="q"))
    assert float(short.get("viewBox").split()[3]) < float(root.get("viewBox").split()[3])


def test_the_chart_grows_taller_with_more_bars():
    heights = [
        view_box(parse(bar_chart(BARS[:n], title="Q", id_prefix="q")))[1] for n in range(1, 6)
    ]
    assert heights == sorted(set(heights))


def test_nothing_to_draw_is_no_chart():
    assert bar_chart([], title="Q", id_prefix="q") == Markup("")
    assert line_chart([], title="Q", id_prefix="q") == Markup("")
    assert isinstance(line_chart([], title="Q", id_prefix="q"), Markup)


def test_a_line_joins_neighbouring_values_and_breaks_at_a_hidden_one():
    root = parse(line_chart(POINTS, title="Q", id_prefix="q"))
    circles = list(root.iter(f"{SVG}circle"))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(circles) == 4
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    shown = texts(root)
    for label, _value, text in POINTS:
        assert label in " ".join(shown)
        assert text in " ".join(shown)
    # Each value is printed just above its circle.
    for circle, text in zip(circles, ["40%", "55%", "100%", "0%"], strict=True):
        (printed,) = [
            element
            for element in root.iter(f"{SVG}text")
            if element.text == text and element.get("x") == circle.get("cx")
        ]
        assert float(printed.get("y")) < float(circle.get("cy"))


def test_higher_values_are_drawn_higher():
    root = parse(line_chart(POINTS, title="Q", id_prefix="q"))
    heights = [float(circle.get("cy")) for circle in root.iter(f"{SVG}circle")]
    assert heights[2] < heights[1] < heights[0] < heights[3]  # 100 > 55 > 40 > 0


def test_a_single_point_is_just_a_circle():
    root = parse(line_chart(POINTS[:1], title="Q", id_prefix="q"))
    assert len(list(root.iter(f"{SVG}circle"))) == 1
    assert list(root.iter(f"{SVG}polyline")) == []
    assert "40%" in texts(root)


def test_gridlines_mark_each_quarter():
    root = parse(line_chart(POINTS, title="Q", id_prefix="q"))
    assert {"0%", "25%", "50%", "75%", "100%"} <= set(texts(root))
    assert len(list(root.iter(f"{SVG}line"))) == 5
    root = parse(line_chart(POINTS, title="Q", id_prefix="q", y_max=10, y_label="people"))
    assert {"0 people", "2.5 people", "5 people", "7.5 people", "10 people"} <= set(texts(root))


def test_when_round_labels_do_not_fit_only_some_are_printed():
    points = [(f"Round {i}", float(i), str(i)) for i in range(1, 13)]
    root = parse(line_chart(points, title="Q", id_prefix="q", y_max=12, y_label=""))
    rounds = [text for text in texts(root) if text.startswith("Round")]
    assert rounds[0] == "Round 1"
    assert 1 < len(rounds) < 12
    assert len(list(root.iter(f"{SVG}circle"))) == 12


def test_y_max_must_be_above_zero():
    with pytest.raises(ValueError, match="y_max"):
        line_chart(POINTS, title="Q", id_prefix="q", y_max=0)


def test_direction_must_be_known():
    with pytest.raises(ValueError, match="direction"):
        bar_chart(BARS, title="Q", id_prefix="q", direction="up")


def test_the_direction_is_the_current_language_s_by_default():
    from flask import Flask
    from flask_babel import Babel, force_locale

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        assert parse(bar_chart(BARS, title="Q", id_prefix="q")).get("direction") == "ltr"
        with force_locale("ar"):
            assert parse(bar_chart(BARS, title="Q", id_prefix="q")).get("direction") == "rtl"
            assert parse(line_chart(POINTS, title="Q", id_prefix="q")).get("direction") == "rtl"
    assert parse(bar_chart(BARS, title="Q", id_prefix="q")).get("direction") == "ltr"
