"""Survey definitions: the questions a survey asks, read from YAML files in the top-level
``surveys/`` folder.

Definitions are data reviewed like code, not rows staff edit on a page: a question's wording
is part of what a measure means, so changing it goes through review, and a changed survey gets
a new version number. A survey round stores :meth:`Definition.to_snapshot` and
:meth:`Definition.fingerprint`, so answers are always read against the questions people saw,
even after the file changes.

Each file is checked against the models below (pydantic, unknown fields refused). A mistake is
reported as one :class:`DefinitionError` naming the file, the line and what is wrong, because
the people writing definitions fix them from that message alone. ``surveys/README.md`` shows
how to write one.

Answer values, used by every other part of the surveys domain:

- ``agree``: ``"1"`` (strongly disagree) to ``"5"`` (strongly agree), or ``"prefer_not"``;
- ``single``: an option id; ``multiple``: a list of option ids;
- ``number``: a whole number written as a string; ``text``: the text typed.

Nothing here touches the Flask app at import time, so definitions load in commands, tests and
migrations alike.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    model_validator,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engage.core.i18n import LANGUAGES

#: Answers to an agree question, from "Strongly disagree" to "Strongly agree".
AGREE_VALUES = ("1", "2", "3", "4", "5")
#: The answer "Prefer not to say", offered on every agree question. It is an answer, not a
#: skip, which is why agree questions can be required without forcing an opinion.
PREFER_NOT = "prefer_not"
#: Agree answers that count towards a measure: "Agree" and "Strongly agree".
AGREE_COUNTS = ("4", "5")
#: Labels of the agree scale, translated when shown.
AGREE_LABELS = {
    "1": _l("Strongly disagree"),
    "2": _l("Disagree"),
    "3": _l("Neither agree nor disagree"),
    "4": _l("Agree"),
    "5": _l("Strongly agree"),
    PREFER_NOT: _l("Prefer not to say"),
}

#: The longest text answer when a text question does not say.
DEFAULT_MAX_LENGTH = 2000

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ID_PATTERN = r"^[a-z0-9_]+$"
# How a pattern is described in an error message: the people fixing a file read words, not
# regular expressions.
_PATTERN_WORDS = {
    SLUG_PATTERN: "lower-case letters, digits and single hyphens between them",
    ID_PATTERN: "lower-case letters, digits and underscores",
}

# The repository root, so a file can be named as the reviewer sees it ("surveys/foo.yaml").
_REPO_ROOT = Path(__file__).resolve().parents[2]


class QuestionType(enum.StrEnum):
    AGREE = "agree"
    SINGLE = "single"
    MULTIPLE = "multiple"
    NUMBER = "number"
    TEXT = "text"


#: Question types whose answers come from a fixed list (and so can feed a measure or decide
#: whether a later question shows).
CHOICE_TYPES = frozenset({QuestionType.AGREE, QuestionType.SINGLE, QuestionType.MULTIPLE})
#: Question types that list their own options.
OPTION_TYPES = frozenset({QuestionType.SINGLE, QuestionType.MULTIPLE})


class DefinitionError(Exception):
    """A survey definition that cannot be used. Its text is one plain sentence naming the file
    (relative to the repository when it is inside it), the line when known, and what is wrong:
    ``surveys/foo.yaml, line 14: questions → 2 → type: must be one of agree, ... (got "likert")``.

    ``where``, ``line`` and ``problem`` hold the parts, for pages and tests that want them.
    """

    def __init__(self, where: str, line: int | None, problem: str) -> None:
        self.where, self.line, self.problem = where, line, problem
        super().__init__(f"{where}, line {line}: {problem}" if line else f"{where}: {problem}")


class _Problem(ValueError):
    """A rule broken somewhere below the value being checked. ``loc`` continues pydantic's own
    location, so cross-field rules (checked on the whole survey) still point at the exact line.
    Pydantic keeps the exception in the error's context, which is how the location survives."""

    def __init__(self, message: str, *loc: str | int) -> None:
        super().__init__(message)
        self.loc = loc


# --- Texts -----------------------------------------------------------------------------------


def _english_only(value: Any) -> Any:
    # A plain string is English only; storing it as {"en": ...} gives every text one shape, so a
    # file that spells out "en:" later keeps the same fingerprint.
    return {"en": value} if isinstance(value, str) else value


def _known_languages(value: dict[str, str]) -> dict[str, str]:
    for locale in value:
        if locale not in LANGUAGES:
            raise _Problem(
                f'"{locale}" is not a language engage speaks ({", ".join(LANGUAGES)})', locale
            )
    if "en" not in value:
        # English is the fallback for every missing translation, so it cannot be missing.
        raise _Problem('needs the English text ("en"), which every other language falls back to')
    return value


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: Words shown to people: a mapping of locale to text, English required. A plain string in the
#: file is read as English only.
Text = Annotated[
    dict[str, NonEmpty], BeforeValidator(_english_only), AfterValidator(_known_languages)
]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
WholeNumber = Annotated[int, Strict()]


def _language(locale: object) -> str:
    # Accepts "pl", "en_GB", "en-GB" or a babel Locale: the app's English is "en_GB" (for
    # British dates) while definitions are keyed by language.
    return str(locale or "en").replace("-", "_").split("_")[0].lower()


def text_in(text: Mapping[str, str] | str, locale: object) -> str:
    """``text`` in ``locale``'s language, or in English when it has no translation (the same
    fallback as the gettext catalogues). ``locale`` may be "pl", "en_GB" or a babel Locale."""
    if isinstance(text, str):
        return text
    return text.get(_language(locale)) or text["en"]


def _in_language(locale: object) -> contextlib.AbstractContextManager[Any]:
    """Translate lazy gettext labels into ``locale``, whatever the page around them is in (an
    export or a message may be for someone reading another language). Outside an app, and
    when no locale is given, labels come out as they would anyway."""
    return force_locale(_language(locale)) if locale else contextlib.nullcontext()


# --- The models ------------------------------------------------------------------------------


class _Strict(BaseModel):
    # Unknown fields are refused (a misspelt "requried: false" must not pass silently), and
    # models are frozen because loaded definitions are shared by every request.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """One answer of a single or multiple choice question."""

    id: Id
    text: Text


class ShowIf(_Strict):
    """Show a question only when an earlier question was answered with one of ``answers``."""

    question: Id
    answers: tuple[NonEmpty, ...] = Field(min_length=1)


class Question(_Strict):
    """One question. ``measure`` names the outcome measure it feeds; for a single or multiple
    question ``counts`` lists the options that count as "yes" for it, and agree questions
    count "Agree" and "Strongly agree"."""

    id: Id
    type: QuestionType
    text: Text
    easy_read: Text | None = None  # the same question in easy-read words, shown on request
    help: Text | None = None  # hint under the question
    required: Annotated[bool, Strict()] = True
    measure: Id | None = None
    options: tuple[Option, ...] | None = None
    counts: tuple[NonEmpty, ...] | None = None
    min: WholeNumber | None = None
    max: WholeNumber | None = None
    max_length: Annotated[int, Strict(), Field(ge=1)] | None = None
    show_if: ShowIf | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_length(cls, data: Any) -> Any:
        # Every text answer has a limit, so a text question without one gets the default;
        # other types keep None, so max_length written on them is still caught below.
        if isinstance(data, dict) and data.get("type") == "text" and "max_length" not in data:
            return {**data, "max_length": DEFAULT_MAX_LENGTH}
        return data

    @model_validator(mode="after")
    def _fits_its_type(self) -> Question:
        kind = self.type
        if kind in OPTION_TYPES:
            if self.options is None:
                raise _Problem(f"a {kind} question needs options")
            if len(self.options) < 2:
                raise _Problem("needs at least 2 options", "options")
            _unique([option.id for option in self.options], "option", "options")
        elif self.options is not None:
            raise _Problem("only single and multiple questions have options", "options")
        if self.measure is not None and kind not in CHOICE_TYPES:
            raise _Problem(
                "only agree, single and multiple questions can feed a measure", "measure"
            )
        if self.counts is not None and (kind not in OPTION_TYPES or self.measure is None):
            raise _Problem(
                "is only for a single or multiple question with a measure "
                "(agree questions count Agree and Strongly agree by themselves)",
                "counts",
            )
        if kind in OPTION_TYPES and self.measure is not None:
            if not self.counts:
                raise _Problem(
                    f'the measure "{self.measure}" needs counts: the option ids that count as yes'
                )
            ids = [option.id for option in self.options or ()]
            for index, value in enumerate(self.counts):
                if value not in ids:
                    raise _Problem(
                        f'"{value}" is not one of this question\'s options ({", ".join(ids)})',
                        "counts",
                        index,
                    )
        for field in ("min", "max"):
            if getattr(self, field) is not None and kind != QuestionType.NUMBER:
                raise _Problem(f"only number questions have {field}", field)
        if self.min is not None and self.max is not None and self.min > self.max:
            raise _Problem(f"must not be less than min ({self.min})", "max")
        if self.max_length is not None and kind != QuestionType.TEXT:
            raise _Problem("only text questions have max_length", "max_length")
        return self

    def label(self, locale: object, easy_read: bool = False) -> str:
        """The question's words in ``locale``: the easy-read words when asked for and written,
        else the usual ones (English when not translated)."""
        if easy_read and self.easy_read:
            return text_in(self.easy_read, locale)
        return text_in(self.text, locale)

    def help_text(self, locale: object) -> str | None:
        """The hint under the question in ``locale``, or None when it has none."""
        return text_in(self.help, locale) if self.help else None

    def allowed_values(self) -> tuple[str, ...]:
        """Every value an answer may take, in the order offered: agree answers (and "prefer
        not to say") or option ids; empty for number and text questions."""
        if self.type == QuestionType.AGREE:
            return (*AGREE_VALUES, PREFER_NOT)
        return tuple(option.id for option in self.options or ())

    def option_label(self, value: str, locale: object) -> str:
        """The words for one answer value: an agree label or an option's text, in ``locale``.
        Raises KeyError for a value this question does not offer."""
        if self.type == QuestionType.AGREE:
            with _in_language(locale):
                return str(AGREE_LABELS[value])
        for option in self.options or ():
            if option.id == value:
                return text_in(option.text, locale)
        raise KeyError(value)

    def choices(self, locale: object) -> list[tuple[str, str]]:
        """(value, label) pairs to offer, in order. The agree scale runs from "Strongly agree"
        down to "Strongly disagree", then "Prefer not to say" last, as GOV.UK radios do; the
        other choice questions list their options. Empty for number and text."""
        if self.type == QuestionType.AGREE:
            with _in_language(locale):
                return [
                    (value, str(AGREE_LABELS[value]))
                    for value in (*reversed(AGREE_VALUES), PREFER_NOT)
                ]
        return [(option.id, text_in(option.text, locale)) for option in self.options or ()]

    def counts_for_measure(self, value: str | list[str] | None) -> bool:
        """Whether ``value`` counts as "yes" for this question's measure: "Agree" or "Strongly
        agree" for an agree question, an option in ``counts`` (any of them, for a multiple
        question) otherwise. False when the question feeds no measure or is unanswered;
        "prefer not to say" never counts."""
        if self.measure is None or value is None:
            return False
        if self.type == QuestionType.AGREE:
            return value in AGREE_COUNTS
        chosen = [value] if isinstance(value, str) else value
        return any(item in (self.counts or ()) for item in chosen)


class Definition(_Strict):
    """One version of one survey: the whole YAML file. ``slug`` stays the same across
    versions, so results can be compared from one round to the next."""

    slug: Slug
    version: Annotated[int, Strict(), Field(ge=1)]
    title: Text
    introduction: Text
    anonymous: Annotated[bool, Strict()]
    results_shared: Text  # what we do with the answers, shown once someone has answered
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _questions_fit_together(self) -> Definition:
        _unique([question.id for question in self.questions], "question", "questions")
        positions = {question.id: index for index, question in enumerate(self.questions)}
        fed_by: dict[str, int] = {}
        for index, question in enumerate(self.questions):
            where = ("questions", index)
            if question.measure is not None:
                if question.measure in fed_by:
                    other = fed_by[question.measure]
                    raise _Problem(
                        f'"{question.measure}" is already fed by question {other} '
                        f"({self.questions[other].id}); a measure comes from one question only",
                        *where,
                        "measure",
                    )
                fed_by[question.measure] = index
            if question.show_if is not None:
                _check_show_if(question, positions, self.questions, where)
        return self

    def question(self, qid: str) -> Question:
        """The question with id ``qid``; KeyError when there is none."""
        for question in self.questions:
            if question.id == qid:
                return question
        raise KeyError(qid)

    def visible_questions(self, answers: Mapping[str, Any]) -> list[Question]:
        """The questions to show, in order, given ``answers`` (question id → answer value).

        A question with ``show_if`` shows when its earlier question is itself shown and was
        answered with one of the listed values. Reading in order, the answer to a hidden
        question is ignored, so changing an early answer hides a whole chain after it.
        """
        visible: list[Question] = []
        shown: dict[str, Any] = {}  # answers of the questions shown so far
        for question in self.questions:
            condition = question.show_if
            if condition is None or _matches(shown.get(condition.question), condition.answers):
                visible.append(question)
                if question.id in answers:
                    shown[question.id] = answers[question.id]
        return visible

    def keep_visible(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """``answers`` without those of hidden (or unknown) questions: someone who changes an
        earlier answer must not have answers kept for questions they can no longer see."""
        return {
            question.id: answers[question.id]
            for question in self.visible_questions(answers)
            if question.id in answers
        }

    def measures(self) -> dict[str, Question]:
        """Measure id → the one question that feeds it, in question order."""
        return {question.measure: question for question in self.questions if question.measure}

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the definition's canonical JSON. A round stores it beside its
        snapshot, so a file changed in place without a new version is noticed. Formatting,
        comments and written-out defaults do not change it; any text or rule does."""
        canonical = json.dumps(
            self.to_snapshot(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_snapshot(self) -> dict[str, Any]:
        """The definition as plain JSON data, to store with a survey round."""
        return self.model_dump(mode="json")

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Definition:
        """The definition stored by :meth:`to_snapshot`. Raises DefinitionError when the data
        does not fit (a snapshot edited by hand, or a schema changed without care for old
        rounds)."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            named = data if isinstance(data, Mapping) else {}
            slug, version = named.get("slug", "?"), named.get("version", "?")
            loc, problem = _first_problem(error.errors(), root=None)
            raise DefinitionError(
                f"the stored snapshot of {slug} version {version}", None, _say(loc, problem)
            ) from None


def _unique(ids: list[str], noun: str, *prefix: str) -> None:
    first: dict[str, int] = {}
    for index, value in enumerate(ids):
        if value in first:
            raise _Problem(
                f'"{value}" is already the id of {noun} {first[value]}; ids must differ',
                *prefix,
                index,
                "id",
            )
        first[value] = index


def _check_show_if(
    question: Question,
    positions: dict[str, int],
    questions: tuple[Question, ...],
    where: tuple[str, int],
) -> None:
    condition = question.show_if
    assert condition is not None
    target = condition.question
    at = (*where, "show_if", "question")
    if target == question.id:
        raise _Problem("a question cannot depend on its own answer", *at)
    if target not in positions:
        raise _Problem(f'"{target}" is not a question in this survey', *at)
    if positions[target] > where[1]:
        raise _Problem(f'"{target}" comes later; a question can only depend on an earlier one', *at)
    earlier = questions[positions[target]]
    if earlier.type not in CHOICE_TYPES:
        raise _Problem(
            f'"{target}" is a {earlier.type} question; only agree, single and multiple '
            "answers can decide whether a question shows",
            *at,
        )
    allowed = earlier.allowed_values()
    for index, value in enumerate(condition.answers):
        if value not in allowed:
            raise _Problem(
                f'"{value}" is not an answer to "{target}" (its answers are {", ".join(allowed)})',
                *where,
                "show_if",
                "answers",
                index,
            )


def _matches(answer: Any, wanted: Iterable[str]) -> bool:
    if answer is None:
        return False
    chosen = answer if isinstance(answer, list | tuple | set | frozenset) else [answer]
    return any(value in wanted for value in chosen)


# --- Reading files ---------------------------------------------------------------------------


def _shown_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(_REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path) -> tuple[Definition, Node]:
    where = _shown_path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DefinitionError(where, None, "is not UTF-8 text") from None
    loader = yaml.SafeLoader(source)
    try:
        root = loader.get_single_node()
        if root is None:
            raise DefinitionError(where, None, "is empty")
        _refuse_duplicate_keys(root, (), where)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # PyYAML splits its sentence in two: "while scanning a quoted scalar" (context) and
        # "found unexpected end of stream" (problem).
        problem = ", ".join(part for part in (error.context, error.problem) if part)
        raise DefinitionError(
            where, mark.line + 1 if mark else None, f"is not valid YAML: {problem}"
        ) from None
    except yaml.YAMLError as error:
        raise DefinitionError(where, None, f"is not valid YAML: {error}") from None
    finally:
        loader.dispose()
    try:
        return Definition.model_validate(data), root
    except ValidationError as error:
        loc, problem = _first_problem(error.errors(), root)
        raise DefinitionError(where, _line(root, loc), _say(loc, problem)) from None


def load_file(path: Path) -> Definition:
    """The definition in the YAML file at ``path``. Raises DefinitionError, naming the file
    and line, when it is not valid YAML or does not fit the schema."""
    return _read(Path(path))[0]


def load_folder(folder: Path) -> dict[tuple[str, int], Definition]:
    """Every definition in ``folder`` (its ``*.yaml`` and ``*.yml`` files, not subfolders),
    keyed by (slug, version). Raises DefinitionError for the first broken file, for two files
    defining the same slug and version, or when the folder does not exist (a missing folder
    would otherwise look like a partnership without surveys)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DefinitionError(_shown_path(folder), None, "is not a folder of survey definitions")
    files = sorted(
        path
        for pattern in ("*.yaml", "*.yml")
        for path in folder.glob(pattern)
        if not path.name.startswith(".")  # editors' lock and backup files
    )
    found: dict[tuple[str, int], Definition] = {}
    came_from: dict[tuple[str, int], Path] = {}
    for path in files:
        definition, root = _read(path)
        key = (definition.slug, definition.version)
        if key in found:
            raise DefinitionError(
                _shown_path(path),
                _line(root, ("version",)),
                f"{definition.slug} version {definition.version} is also defined in "
                f"{_shown_path(came_from[key])}; a changed survey needs a new version number",
            )
        found[key], came_from[key] = definition, path
    return found


def default_folder() -> Path:
    """The repository's top-level ``surveys/`` folder."""
    return _REPO_ROOT / "surveys"


def latest(definitions: Mapping[tuple[str, int], Definition], slug: str) -> Definition:
    """The highest version of the survey ``slug``; KeyError when there is none."""
    versions = [definition for (s, _), definition in definitions.items() if s == slug]
    if not versions:
        raise KeyError(slug)
    return max(versions, key=lambda definition: definition.version)


def latest_all(definitions: Mapping[tuple[str, int], Definition]) -> list[Definition]:
    """The highest version of every survey, sorted by English title (then slug), so lists are
    in the same order in every language."""
    slugs = {slug for slug, _ in definitions}
    newest = [latest(definitions, slug) for slug in slugs]
    return sorted(newest, key=lambda d: (d.title["en"].casefold(), d.slug))


@functools.cache
def _loaded() -> dict[tuple[str, int], Definition]:
    return load_folder(default_folder())


def all_definitions() -> dict[tuple[str, int], Definition]:
    """Every definition in the default folder, read once per process: files only change with a
    release. A copy of the mapping, so a caller changing it cannot change anyone else's."""
    return dict(_loaded())


def reload() -> None:
    """Forget the definitions read by :func:`all_definitions` (tests that change the files)."""
    _loaded.cache_clear()


# --- Error messages --------------------------------------------------------------------------

_FIELDS = sorted(
    {name for model in (Definition, Question, Option, ShowIf) for name in model.model_fields}
)
_TEXT_FIELDS = frozenset({"title", "introduction", "results_shared", "text", "easy_read", "help"})


def _first_problem(errors: list[Any], root: Node | None) -> tuple[tuple[Any, ...], str]:
    """The one problem to report: pydantic may list several, and some only follow from others.
    A list "too short after validation" because its items failed is dropped; a missing field
    comes last, as it is often one misspelt elsewhere ("anonymus"). Of the rest, the earliest
    in the file, the deepest first on the same line."""
    found = [(*_describe(error), error["type"] == "missing") for error in errors]
    locs = [loc for loc, _, _ in found]
    specific = [
        item
        for item in found
        if not any(len(other) > len(item[0]) and other[: len(item[0])] == item[0] for other in locs)
    ] or found
    loc, problem, _ = min(
        specific, key=lambda item: (item[2], _line(root, item[0]) or 0, -len(item[0]))
    )
    return loc, problem


def _describe(error: Any) -> tuple[tuple[Any, ...], str]:
    """(location, plain words) for one pydantic error."""
    loc, kind = tuple(error["loc"]), error["type"]
    ctx, got = error.get("ctx") or {}, error.get("input")
    if kind == "value_error" and isinstance(ctx.get("error"), _Problem):
        return loc + ctx["error"].loc, str(ctx["error"])
    if kind == "missing":
        return loc, "is missing"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _FIELDS, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return loc, f"is not a field a survey definition has{hint}"
    if kind in ("enum", "literal_error"):
        allowed = ", ".join(re.findall(r"'([^']*)'", ctx.get("expected", "")))
        return loc, f"must be one of {allowed} (got {_shown(got)})"
    if kind == "string_type":
        if isinstance(got, bool):
            # YAML 1.1 reads yes/no/on/off as true/false: the commonest surprise in these files.
            return loc, f'must be text (got {_shown(got)}); put quotes round it, as in "yes"'
        return loc, f"must be text (got {_shown(got)})"
    if kind == "string_too_short":
        return loc, "must not be empty"
    if kind == "string_pattern_mismatch":
        words = _PATTERN_WORDS.get(ctx.get("pattern"), f"the pattern {ctx.get('pattern')}")
        return loc, f"must use only {words} (got {_shown(got)})"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return loc, f"must be a whole number (got {_shown(got)})"
    if kind in ("bool_type", "bool_parsing"):
        return loc, f"must be true or false (got {_shown(got)})"
    if kind == "greater_than_equal":
        return loc, f"must be at least {ctx.get('ge')} (got {_shown(got)})"
    if kind == "too_short":
        return loc, f"needs at least {ctx.get('min_length')} (got {ctx.get('actual_length')})"
    if kind == "dict_type" and loc and loc[-1] in _TEXT_FIELDS:
        return loc, (
            f"must be text, or each language's text as in {{en: ..., pl: ..., ar: ...}} "
            f"(got {_shown(got)})"
        )
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return loc, f"must be a mapping of fields (got {_shown(got)})"
    if kind in ("list_type", "tuple_type"):
        return loc, f"must be a list (got {_shown(got)})"
    return loc, str(error["msg"])


def _say(loc: tuple[Any, ...], problem: str) -> str:
    path = " → ".join(str(part) for part in loc if part != "[key]")
    return f"{path}: {problem}" if path else problem


def _shown(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f'"{text}"'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return str(value)


def _line(root: Node | None, loc: Iterable[Any]) -> int | None:
    """The line (from 1) of the deepest YAML node ``loc`` reaches: pydantic's path walked
    through the composed node tree, stopping where the file has nothing more (a missing field
    points at the mapping that should hold it)."""
    if root is None:
        return None
    node, key_node = root, None
    for part in loc:
        if part == "[key]" and key_node is not None:
            node = key_node
            break
        if isinstance(node, MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == part:
                    key_node, node = key, value
                    break
            else:
                break
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            key_node, node = None, node.value[part]
        else:
            break
    return node.start_mark.line + 1


def _refuse_duplicate_keys(node: Node, loc: tuple[Any, ...], where: str) -> None:
    # PyYAML keeps the last of two equal keys without a word, so a question with two "text:"
    # lines would silently lose one. Refuse it instead.
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            if name is not None and name in seen:
                raise DefinitionError(
                    where, key.start_mark.line + 1, _say((*loc, name), "appears twice")
                )
            if name is not None:
                seen.add(name)
            _refuse_duplicate_keys(value, (*loc, name), where)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(item, (*loc, index), where)
