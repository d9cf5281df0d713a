"""Survey definitions: the shipped files load and are fully translated; a broken file is refused
with its name, the line and what is wrong; show_if hides whole chains; snapshots and
fingerprints let a round keep the questions people saw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engage.core.i18n import LANGUAGES
from engage.surveys import definitions
from engage.surveys.definitions import (
    AGREE_VALUES,
    PREFER_NOT,
    Definition,
    DefinitionError,
    QuestionType,
    load_file,
    load_folder,
)

# A small valid survey: b shows when a is "yes", c when b is "yes" (a chain), d always.
BASE = """\
slug: test-survey
version: 1
title: Test survey
introduction: A test.
anonymous: true
results_shared: We share results.
questions:
  - id: a
    type: single
    text: Question A
    options:
      - id: "yes"
        text: "Yes"
      - id: "no"
        text: "No"
  - id: b
    type: multiple
    text: Question B
    show_if: {question: a, answers: ["yes"]}
    options:
      - id: "yes"
        text: "Yes"
      - id: other
        text: Other
  - id: c
    type: agree
    text: Question C
    measure: c_measure
    show_if: {question: b, answers: ["yes"]}
  - id: d
    type: text
    required: false
    text: Anything else?
"""


def write(folder: Path, text: str, name: str = "survey.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def changed(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def line_of(text: str, marker: str = "# here") -> int:
    """The line (from 1) holding ``marker``: each broken file marks its broken line."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


# --- The shipped definitions -----------------------------------------------------------------


def shipped() -> list[Path]:
    folder = definitions.default_folder()
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def texts(data: object) -> list[dict]:
    """Every Text (a mapping with "en") anywhere in a snapshot."""
    if isinstance(data, dict):
        found = [data] if "en" in data else []
        return found + [text for value in data.values() for text in texts(value)]
    if isinstance(data, list):
        return [text for item in data for text in texts(item)]
    return []


def test_the_folder_holds_both_surveys() -> None:
    definitions.reload()
    loaded = definitions.all_definitions()
    assert {("coproduction-partners", 1), ("service-experience", 1)} <= set(loaded)
    assert [d.slug for d in definitions.latest_all(loaded)] == [
        "coproduction-partners",
        "service-experience",
    ]


@pytest.mark.parametrize("path", shipped(), ids=lambda path: path.name)
def test_every_shipped_definition_loads_and_is_translated(path: Path) -> None:
    definition = load_file(path)
    found = texts(definition.to_snapshot())
    assert len(found) > len(definition.questions)
    for text in found:
        assert set(text) == set(LANGUAGES), text["en"]
    fed = [question for question in definition.questions if question.measure]
    assert len(fed) == len(definition.measures())  # one question per measure
    for question in definition.questions:
        if question.type == QuestionType.AGREE:
            assert question.easy_read, question.id
            assert question.measure, question.id


def test_a_shipped_survey_says_what_it_offers() -> None:
    service = definitions.latest(definitions.all_definitions(), "service-experience")
    turned_away = service.question("turned_away")
    assert turned_away.choices("pl") == [("yes", "Tak"), ("no", "Nie"), ("not_sure", "Nie wiem")]
    assert turned_away.counts_for_measure("yes")
    assert not turned_away.counts_for_measure("not_sure")
    assert service.question("turned_away_by").show_if.question == "turned_away"
    assert service.question("what_got_in_the_way").max_length == 2000


# --- Broken files ----------------------------------------------------------------------------

BROKEN = {
    "bad type": (
        changed("    type: agree\n", "    type: likert  # here\n"),
        'questions → 2 → type: must be one of agree, single, multiple, number, text (got "likert")',
    ),
    "unknown field": (
        changed("    required: false\n", "    required: false\n    hepl: Hint  # here\n"),
        'questions → 3 → hepl: is not a field a survey definition has (did you mean "help"?)',
    ),
    "unknown field at the top": (
        changed("anonymous: true\n", "anonymus: true  # here\n"),
        "anonymus: is not a field",
    ),
    "show_if to a later question": (
        changed('{question: a, answers: ["yes"]}', '{question: d, answers: ["yes"]}  # here'),
        'questions → 1 → show_if → question: "d" comes later',
    ),
    "show_if to itself": (
        changed('{question: a, answers: ["yes"]}', '{question: b, answers: ["yes"]}  # here'),
        "cannot depend on its own answer",
    ),
    "show_if to an unknown question": (
        changed('{question: a, answers: ["yes"]}', '{question: zz, answers: ["yes"]}  # here'),
        '"zz" is not a question in this survey',
    ),
    "show_if with an invalid value": (
        changed('{question: a, answers: ["yes"]}', '{question: a, answers: ["maybe"]}  # here'),
        'show_if → answers → 0: "maybe" is not an answer to "a" (its answers are yes, no)',
    ),
    "show_if with an invalid agree value": (
        changed("    required: false\n", "    show_if: {question: c, answers: ['6']}  # here\n"),
        'is not an answer to "c" (its answers are 1, 2, 3, 4, 5, prefer_not)',
    ),
    "show_if on a text answer": (
        BASE + "  - id: e\n    type: text\n    text: E\n    show_if: {question: d, answers: [x]}"
        "  # here\n",
        "only agree, single and multiple answers can decide",
    ),
    "duplicate question id": (
        changed("  - id: d\n", "  - id: a  # here\n"),
        'questions → 3 → id: "a" is already the id of question 0',
    ),
    "duplicate option id": (
        changed("      - id: other\n", '      - id: "yes"  # here\n'),
        'questions → 1 → options → 1 → id: "yes" is already the id of option 0',
    ),
    "options on a text question": (
        changed(
            "    required: false\n", "    options: [{id: x, text: X}, {id: y, text: Y}]  # here\n"
        ),
        "questions → 3 → options: only single and multiple questions have options",
    ),
    "a single question without options": (
        BASE + "  - id: e  # here\n    type: single\n    text: E\n",
        "questions → 4: a single question needs options",
    ),
    "one option only": (
        BASE
        + "  - id: e\n    type: single\n    text: E\n    options: [{id: x, text: X}]  # here\n",
        "needs at least 2 options",
    ),
    "counts not among options": (
        changed(
            "    text: Question A\n",
            "    text: Question A\n    measure: m\n    counts: [maybe]  # here\n",
        ),
        'questions → 0 → counts → 0: "maybe" is not one of this question\'s options (yes, no)',
    ),
    "a measure without counts": (
        changed("  - id: a\n", "  - id: a  # here\n    measure: m\n"),
        'the measure "m" needs counts',
    ),
    "counts on an agree question": (
        changed("    measure: c_measure\n", "    measure: c_measure\n    counts: ['5']  # here\n"),
        "counts: is only for a single or multiple question with a measure",
    ),
    "a measure on a text question": (
        changed("    required: false\n", "    measure: m  # here\n"),
        "only agree, single and multiple questions can feed a measure",
    ),
    "a measure fed twice": (
        changed(
            "    text: Question B\n",
            "    text: Question B\n    measure: c_measure\n    counts: [other]\n",
        ).replace(
            "    measure: c_measure\n    show_if", "    measure: c_measure  # here\n    show_if"
        ),
        'questions → 2 → measure: "c_measure" is already fed by question 1 (b)',
    ),
    "min above max": (
        BASE + "  - id: e\n    type: number\n    text: E\n    min: 10\n    max: 5  # here\n",
        "questions → 4 → max: must not be less than min (10)",
    ),
    "max_length on an agree question": (
        changed("    measure: c_measure\n", "    measure: c_measure\n    max_length: 10  # here\n"),
        "only text questions have max_length",
    ),
    "yes without quotes": (
        changed("      - id: other\n", "      - id: yes  # here\n"),
        'must be text (got true); put quotes round it, as in "yes"',
    ),
    "missing en": (
        changed("    text: Question B\n", "    text: {pl: Pytanie B}  # here\n"),
        'questions → 1 → text: needs the English text ("en")',
    ),
    "unknown language": (
        changed("title: Test survey\n", "title: {en: Test, fr: Essai}  # here\n"),
        'title → fr: "fr" is not a language engage speaks (en, pl, ar)',
    ),
    "empty text": (
        changed("    text: Question A\n", '    text: "  "  # here\n'),
        "questions → 0 → text → en: must not be empty",
    ),
    "bad slug": (
        changed("slug: test-survey\n", "slug: Test Survey  # here\n"),
        "slug: must use only lower-case letters, digits and single hyphens",
    ),
    "version zero": (
        changed("version: 1\n", "version: 0  # here\n"),
        "version: must be at least 1 (got 0)",
    ),
    "version as text": (
        changed("version: 1\n", 'version: "1"  # here\n'),
        'version: must be a whole number (got "1")',
    ),
    "no questions": (
        BASE.split("questions:")[0] + "questions: []  # here\n",
        "questions: needs at least 1 (got 0)",
    ),
    "a missing field": (
        changed("  - id: d\n", "  - id: d  # here\n").replace("    text: Anything else?\n", ""),
        "questions → 3 → text: is missing",
    ),
    "a key written twice": (
        changed(
            "    text: Anything else?\n", "    text: Anything else?\n    text: Again  # here\n"
        ),
        "questions → 3 → text: appears twice",
    ),
    "YAML syntax error": (
        changed("    text: Question B\n", "    text: Question B: oops  # here\n"),
        "is not valid YAML: mapping values are not allowed here",
    ),
}


@pytest.mark.parametrize("broken", BROKEN, ids=list(BROKEN))
def test_a_broken_file_is_refused_with_file_line_and_reason(tmp_path: Path, broken: str) -> None:
    text, reason = BROKEN[broken]
    path = write(tmp_path, text)
    with pytest.raises(DefinitionError) as raised:
        load_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}, line {line_of(text)}: "), message
    assert reason in message
    assert "\n" not in message
    assert raised.value.line == line_of(text)


def test_the_base_survey_is_valid(tmp_path: Path) -> None:
    # Every broken case above is one change away from this file.
    definition = load_file(write(tmp_path, BASE))
    assert [question.id for question in definition.questions] == ["a", "b", "c", "d"]


def test_a_broken_file_stops_the_whole_folder(tmp_path: Path) -> None:
    write(tmp_path, BASE, "good.yaml")
    bad = changed("version: 1\n", "version: 2\n").replace("type: agree", "type: x")
    write(tmp_path, bad, "bad.yml")
    with pytest.raises(DefinitionError, match=rf"bad\.yml, line {line_of(bad, 'type: x')}: "):
        load_folder(tmp_path)


def test_the_same_slug_and_version_in_two_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a.yaml")
    write(tmp_path, BASE.replace("title: Test survey", "title: Another"), "b.yaml")
    with pytest.raises(DefinitionError) as raised:
        load_folder(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'b.yaml'}, line 2: test-survey version 1 ")
    assert str(tmp_path / "a.yaml") in message


def test_a_new_version_in_another_file_is_fine(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a.yaml")
    write(tmp_path, BASE.replace("version: 1", "version: 2"), "a-v2.yaml")
    write(tmp_path, "not: a survey", ".#a.yaml")  # an editor's lock file is not a survey
    loaded = load_folder(tmp_path)
    assert set(loaded) == {("test-survey", 1), ("test-survey", 2)}
    assert definitions.latest(loaded, "test-survey").version == 2
    assert [d.version for d in definitions.latest_all(loaded)] == [2]
    with pytest.raises(KeyError):
        definitions.latest(loaded, "nothing")


def test_a_missing_folder_is_named_from_the_repository_root() -> None:
    with pytest.raises(DefinitionError, match=r"^surveys/no-such-folder: "):
        load_folder(definitions.default_folder() / "no-such-folder")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing yet\n")
    with pytest.raises(DefinitionError, match="is empty"):
        load_file(path)


# --- Questions shown and answers kept --------------------------------------------------------


@pytest.fixture
def survey(tmp_path: Path) -> Definition:
    return load_file(write(tmp_path, BASE))


def shown(survey: Definition, answers: dict) -> list[str]:
    return [question.id for question in survey.visible_questions(answers)]


def test_show_if_follows_the_answers(survey: Definition) -> None:
    assert shown(survey, {}) == ["a", "d"]
    assert shown(survey, {"a": "yes"}) == ["a", "b", "d"]
    assert shown(survey, {"a": "yes", "b": ["other", "yes"]}) == ["a", "b", "c", "d"]
    assert shown(survey, {"a": "yes", "b": ["other"]}) == ["a", "b", "d"]


def test_changing_an_early_answer_hides_the_whole_chain(survey: Definition) -> None:
    answers = {"a": "yes", "b": ["yes"], "c": "4", "d": "More buses"}
    assert survey.keep_visible(answers) == answers
    answers["a"] = "no"
    # b is hidden, so its "yes" no longer shows c, although it is still in the answers.
    assert shown(survey, answers) == ["a", "d"]
    assert survey.keep_visible(answers) == {"a": "no", "d": "More buses"}


def test_answers_to_unknown_questions_are_dropped(survey: Definition) -> None:
    assert survey.keep_visible({"a": "no", "zz": "x"}) == {"a": "no"}


# --- Fingerprints and snapshots --------------------------------------------------------------


def test_the_fingerprint_changes_only_when_the_definition_does(tmp_path: Path) -> None:
    first = load_file(write(tmp_path, BASE, "one.yaml")).fingerprint()
    assert load_file(write(tmp_path, BASE, "two.yaml")).fingerprint() == first
    assert len(first) == 64
    # Comments, layout, "en:" written out and defaults written out change nothing...
    same = changed("    text: Question A\n", "    # a comment\n    text: {en: Question A}\n")
    same = same.replace("    type: agree\n", "    type: agree\n    required: true\n")
    assert load_file(write(tmp_path, same, "three.yaml")).fingerprint() == first
    # ...but a changed word does.
    other = changed("    text: Question A\n", "    text: Question A?\n")
    assert load_file(write(tmp_path, other, "four.yaml")).fingerprint() != first


def test_a_snapshot_round_trips(survey: Definition) -> None:
    snapshot = json.loads(json.dumps(survey.to_snapshot()))  # as stored in a JSON column
    again = Definition.from_snapshot(snapshot)
    assert again == survey
    assert again.fingerprint() == survey.fingerprint()


def test_a_damaged_snapshot_is_refused(survey: Definition) -> None:
    snapshot = survey.to_snapshot()
    snapshot["questions"][2]["type"] = "likert"
    with pytest.raises(DefinitionError, match=r"test-survey version 1: questions → 2 → type"):
        Definition.from_snapshot(snapshot)


# --- Words -----------------------------------------------------------------------------------


def test_words_fall_back_to_english(tmp_path: Path) -> None:
    text = changed("    text: Question A\n", "    text: {en: Question A, pl: Pytanie A}\n")
    question = load_file(write(tmp_path, text)).question("a")
    assert question.label("pl") == "Pytanie A"
    assert question.label("ar") == "Question A"
    assert question.label("en_GB") == "Question A"
    assert question.help_text("pl") is None
    assert question.option_label("no", "pl") == "No"
    assert definitions.text_in({"en": "Hi", "pl": "Cześć"}, "pl_PL") == "Cześć"


def test_easy_read_words_are_used_when_asked_for() -> None:
    coproduction = definitions.latest(definitions.all_definitions(), "coproduction-partners")
    question = coproduction.question("feel_heard")
    assert question.label("en") == "I feel heard and listened to."
    assert question.label("en", easy_read=True) == "People listen to me."
    # A question without easy-read words gives its usual ones.
    other = coproduction.question("what_should_change")
    assert other.label("en", easy_read=True) == "What should change?"


def test_the_agree_scale_runs_from_strongly_agree_to_prefer_not(survey: Definition) -> None:
    question = survey.question("c")
    assert [value for value, _ in question.choices("en")] == [*reversed(AGREE_VALUES), PREFER_NOT]
    assert question.choices("en")[0] == ("5", "Strongly agree")
    assert question.option_label(PREFER_NOT, "en") == "Prefer not to say"
    assert [question.counts_for_measure(value) for value in (*AGREE_VALUES, PREFER_NOT)] == [
        False,
        False,
        False,
        True,
        True,
        False,
    ]
    assert not question.counts_for_measure(None)
    assert survey.question("d").choices("en") == []
    with pytest.raises(KeyError):
        survey.question("zz")


def test_any_counted_option_counts_for_a_multiple_question(tmp_path: Path) -> None:
    text = changed(
        "    text: Question B\n", "    text: Question B\n    measure: m\n    counts: [other]\n"
    )
    question = load_file(write(tmp_path, text)).question("b")
    assert question.counts_for_measure(["yes", "other"])
    assert not question.counts_for_measure(["yes"])
    assert not question.counts_for_measure([])
