"""The search language of the run list: parsed into terms here, compiled to SQL in the store.

    invoice                       run/event id prefix, or part of the workflow name
    status:FAILED  workflow:"Sync Invoices"  org:org_gamma  version:wfv_42
    event:invoice/created
    error:card_declined           part of the top-level error (any case; % and _ literal)
    input.invoice.currency=JPY    the JSON value at a path: 5000 a number, true, false,
                                  null, "5000" a string
    input.invoice.amount>5000     numbers compared (>, <, >=, <=)
    input.invoice.id~inv_4        part of the value at a path
    input~needle                  part of the whole payload's JSON text
    step:charge_card  step.status:FAILED  step.error~quota
    step.input.currency=JPY  step.output.id=msg_5
    step:(charge_card status:FAILED)   every condition holds for the same entry

Spaces mean AND, a leading `-` negates a term, double quotes group words (`\\"` and `\\\\`
inside them stand for a quote and a backslash). `format_query` prints a query back, so
that `parse_query(format_query(q)) == q`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, TypeAlias

from wflog_tui.model import status as st

# A JSON scalar as typed: `Decimal` keeps a number exactly as written (1e999 included).
JsonScalar: TypeAlias = str | Decimal | bool | None

COLUMNS: Final = ("status", "workflow", "org", "version", "event", "error")
SOURCES: Final = ("input", "output")
STEP_FIELDS: Final = ("id", "status", "name", "error")
# Fields matched as part of a text (any case); the others match exactly.
SUBSTRING_STEP_FIELDS: Final = frozenset({"name", "error"})
COMPARISONS: Final = (">=", "<=", ">", "<")
OPERATORS: Final = ("=", "~", *COMPARISONS)
MAX_QUERY_CHARS: Final = 2000

_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_IDENT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS: Final = {"true": True, "false": False, "null": None}
# Characters that end a bare word or value; one of them inside a value calls for quotes.
_STOP: Final = frozenset(' \t\n\r\f\v"()')
# Characters that end a bare path segment.
_SEGMENT_STOP: Final = _STOP | frozenset(".=<>~:")


# The grammar by example, for help screens: (query, what it finds).
EXAMPLES: Final = (
    ("01HW7", "run id or event id starting with 01HW7, or workflow name containing it"),
    ('"Sync Invoices"', "double quotes group words"),
    ("status:FAILED", "status (RUNNING, COMPLETED, FAILED, TIMED_OUT, CANCELED)"),
    ('workflow:"Sync Invoices"', "workflow name, exactly"),
    ("org:org_gamma  version:wfv_42", "organisation, workflow version"),
    ("event:invoice/created", "event name, exactly"),
    ("error:card_declined", "part of the run's error, any case (% and _ literal)"),
    ("input.invoice.currency=JPY", "the input's value at that path"),
    ('input.invoice.amount=5000  input.code="5000"', "a number; quoted, a string"),
    ("input.paid=true  input.note=null", "true, false and null are JSON's"),
    ("input.invoice.amount>5000", "numbers compared: >, <, >=, <="),
    ("input.invoice.id~inv_4", "part of the value at that path, any case"),
    ("input~ACME", "part of the whole input, any case"),
    ("output.id=msg_5", "output_payload, the same ways"),
    ("step:charge_card", "a step with that stepId"),
    ("step.status:FAILED  step.error~quota", "a step's status, part of its error"),
    ("step.input.currency=JPY  step.output.id=msg_5", "a step's input or output"),
    ("step:(charge_card status:FAILED)", "all of these hold for the same step"),
    ("-status:COMPLETED", "a leading - negates; spaces mean AND"),
)


class SearchSyntaxError(ValueError):
    """A query that does not parse: `message` says why, `position` where (0-based)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at column {position + 1})")
        self.message = message
        self.position = position

    def pointer(self, text: str) -> str:
        """The query on one line and a caret under the offending character on the next."""
        line = text.replace("\n", " ").replace("\t", " ")
        return f"{line}\n{' ' * min(self.position, len(line))}^"


@dataclass(frozen=True, slots=True)
class Words:
    """Bare words: a run-id or event-id prefix, or part of the workflow name."""

    text: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class ColumnMatch:
    """`column:value` on one of `COLUMNS`; `error` is a substring, the others exact."""

    column: str
    value: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class PayloadMatch:
    """`source.path OP value` on a JSON document (`input`/`output`, of a run or a step).

    `op` is one of `OPERATORS`. For `=` the value is a typed JSON scalar; for comparisons
    a `Decimal`; for `~` a string, and `path` may be empty (anywhere in the document).
    """

    source: str
    path: tuple[str, ...]
    op: str
    value: JsonScalar
    negated: bool = False


@dataclass(frozen=True, slots=True)
class StepField:
    """`field:value` on one `steps_log` entry: `id`, `status` exact, `name`, `error` in part."""

    field: str
    value: str
    negated: bool = False


StepCondition: TypeAlias = StepField | PayloadMatch


@dataclass(frozen=True, slots=True)
class StepMatch:
    """Some entry of `steps_log` meets every condition (negated: no entry does)."""

    conditions: tuple[StepCondition, ...]
    negated: bool = False


Term: TypeAlias = Words | ColumnMatch | PayloadMatch | StepMatch


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Terms that must all hold; no terms match every run."""

    terms: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the query filters nothing."""
        return not self.terms


def parse_query(text: str) -> SearchQuery:
    """Parse the search language; raises `SearchSyntaxError` with the position of a mistake."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchSyntaxError(f"a query is at most {MAX_QUERY_CHARS} characters", MAX_QUERY_CHARS)
    return _Parser(text).query()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str, position: int | None = None) -> SearchSyntaxError:
        return SearchSyntaxError(message, self.pos if position is None else position)

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def skip_spaces(self) -> None:
        while self.peek().isspace():
            self.pos += 1

    def query(self) -> SearchQuery:
        terms: list[Term] = []
        self.skip_spaces()
        while self.pos < len(self.text):
            terms.append(self.term())
            self.end_of_term()
            self.skip_spaces()
        return SearchQuery(tuple(terms))

    def end_of_term(self, closing: str = "") -> None:
        char = self.peek()
        if char and not char.isspace() and char != closing:
            raise self.error(f"unexpected {char!r}: put a space between terms, or quote the text")

    def negation(self) -> bool:
        if self.peek() != "-":
            return False
        start = self.pos
        self.pos += 1
        nxt = self.peek()
        if not nxt or nxt.isspace():
            raise self.error("a '-' must be followed by the term it negates", start)
        if nxt == "-":
            raise self.error("one '-' per term", self.pos)
        return True

    def ident(self) -> str | None:
        match = _IDENT.match(self.text, self.pos)
        return match.group(0).lower() if match else None

    def term(self) -> Term:
        negated = self.negation()
        start = self.pos
        char = self.peek()
        if char in "()":
            raise self.error(f"unexpected {char!r}; quote the text to search for it")
        if char == '"':
            return Words(self.quoted("the words"), negated)
        name = self.ident()
        if name is not None:
            after = self.text[self.pos + len(name) : self.pos + len(name) + 1]
            if name == "step" and after in (":", "."):
                self.pos += len(name)
                return self.step(negated)
            if name in SOURCES and after and after in ".=<>~":
                self.pos += len(name)
                return self.payload(name, negated)
            if after == ":":
                if name not in COLUMNS:
                    raise self.error(
                        f"unknown filter {name}: (filters: {', '.join(COLUMNS)}, step); "
                        "quote the text to search for it",
                        start,
                    )
                self.pos += len(name) + 1
                value = self.value(f"{name}:")
                return ColumnMatch(
                    name, st.normalise(value) if name == "status" else value, negated
                )
        return Words(self.bare("a word"), negated)

    def step(self, negated: bool) -> StepMatch:
        if self.peek() == ".":
            self.pos += 1
            return StepMatch((self.step_condition(in_group=False),), negated)
        self.pos += 1  # the ':'
        if self.peek() != "(":
            return StepMatch((StepField("id", self.value("step:")),), negated)
        opening = self.pos
        self.pos += 1
        conditions: list[StepCondition] = []
        self.skip_spaces()
        while self.peek() != ")":
            if not self.peek():
                raise self.error("this '(' is never closed", opening)
            conditions.append(self.step_condition(in_group=True))
            self.end_of_term(")")
            self.skip_spaces()
        if not conditions:
            raise self.error("a step group needs at least one condition", opening)
        self.pos += 1
        return StepMatch(tuple(conditions), negated)

    def step_condition(self, *, in_group: bool) -> StepCondition:
        negated = self.negation() if in_group else False
        start = self.pos
        name = self.ident()
        after = self.text[self.pos + len(name) : self.pos + len(name) + 1] if name else ""
        if name in SOURCES and after and after in ".=<>~":
            self.pos += len(name)
            return self.payload(name, negated)
        if name in STEP_FIELDS and after == "~" and name not in SUBSTRING_STEP_FIELDS:
            raise self.error(f"{name} matches exactly: write {name}:", start)
        if name in STEP_FIELDS and after in (":", "~"):
            self.pos += len(name) + 1
            value = self.value(f"{name}{after}")
            return StepField(name, st.normalise(value) if name == "status" else value, negated)
        if in_group and not (name is not None and after == ":"):
            # A bare value in a group is the step id, as in `step:(charge_card status:FAILED)`.
            return StepField("id", self.value("the step id"), negated)
        raise self.error(
            "a step condition is id:, status:, name~, error~, input.… or output.…", start
        )

    def payload(self, source: str, negated: bool) -> PayloadMatch:
        path: list[str] = []
        while self.peek() == ".":
            self.pos += 1
            path.append(self.segment())
        start = self.pos
        op = next(
            (o for o in (">=", "<=", "=", "~", ">", "<") if self.text.startswith(o, start)), None
        )
        if op is None:
            raise self.error("expected =, ~, >, <, >= or <= after the path")
        self.pos += len(op)
        if not path and op != "~":
            raise self.error(f"'{op}' needs a path, as in {source}.field{op}value", start)
        value_start = self.pos
        if op == "=":
            return PayloadMatch(source, tuple(path), op, self.literal(), negated)
        text = self.value(f"'{op}'")
        if op == "~":
            return PayloadMatch(source, tuple(path), op, text, negated)
        if not _NUMBER.fullmatch(text):
            raise self.error(f"'{op}' compares numbers; {text!r} is not one", value_start)
        return PayloadMatch(source, tuple(path), op, Decimal(text), negated)

    def segment(self) -> str:
        if self.peek() == '"':
            return self.quoted("a path segment", allow_empty=True)
        start = self.pos
        while self.peek() and self.peek() not in _SEGMENT_STOP:
            self.pos += 1
        if self.pos == start:
            raise self.error("expected a field name after '.'")
        return self.text[start : self.pos]

    def literal(self) -> JsonScalar:
        if self.peek() == '"':
            return self.quoted("the value", allow_empty=True)
        text = self.bare("a value after '='")
        if text in _KEYWORDS:
            return _KEYWORDS[text]
        return Decimal(text) if _NUMBER.fullmatch(text) else text

    def value(self, after: str) -> str:
        if self.peek() == '"':
            return self.quoted(f"the value of {after}")
        return self.bare(f"a value after {after}")

    def bare(self, what: str) -> str:
        start = self.pos
        while self.peek() and self.peek() not in _STOP:
            self.pos += 1
        if self.pos == start:
            raise self.error(f"expected {what}")
        return self.text[start : self.pos]

    def quoted(self, what: str, *, allow_empty: bool = False) -> str:
        opening = self.pos
        self.pos += 1
        chars: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise self.error("this quote is never closed", opening)
            self.pos += 1
            if char == '"':
                break
            if char == "\\" and self.peek():
                char = self.peek()
                self.pos += 1
            chars.append(char)
        if not chars and not allow_empty:
            raise self.error(f"empty quotes: {what} cannot be empty", opening)
        return "".join(chars)


def format_query(query: SearchQuery) -> str:
    """The query as text that parses back to it."""
    return " ".join(_format_term(term) for term in query.terms)


def _format_term(term: Term) -> str:
    sign = "-" if term.negated else ""
    match term:
        case Words(text=text):
            return sign + _quote_if_needed(text, bare_ok=_plain_word(text))
        case ColumnMatch(column=column, value=value):
            return f"{sign}{column}:{_quote_if_needed(value)}"
        case PayloadMatch():
            return sign + _format_payload(term)
        case StepMatch(conditions=conditions):
            only = conditions[0] if len(conditions) == 1 else None
            if isinstance(only, StepField) and not only.negated:
                if only.field == "id":
                    return f"{sign}step:{_quote_if_needed(only.value)}"
                return f"{sign}step.{_format_step_field(only)}"
            if isinstance(only, PayloadMatch) and not only.negated:
                return f"{sign}step.{_format_payload(only)}"
            inner = " ".join(_format_condition(c) for c in conditions)
            return f"{sign}step:({inner})"


def _format_condition(condition: StepCondition) -> str:
    sign = "-" if condition.negated else ""
    if isinstance(condition, PayloadMatch):
        return sign + _format_payload(condition)
    return sign + _format_step_field(condition)


def _format_step_field(field: StepField) -> str:
    separator = "~" if field.field in SUBSTRING_STEP_FIELDS else ":"
    return f"{field.field}{separator}{_quote_if_needed(field.value)}"


def _format_payload(match: PayloadMatch) -> str:
    path = "".join("." + _format_segment(segment) for segment in match.path)
    return f"{match.source}{path}{match.op}{_format_value(match.value, typed=match.op == '=')}"


def _format_segment(segment: str) -> str:
    if segment and not any(char in _SEGMENT_STOP for char in segment):
        return segment
    return _quoted(segment)


def _format_value(value: JsonScalar, *, typed: bool) -> str:
    if value is True or value is False or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, Decimal):
        return str(value)
    if typed and (value in _KEYWORDS or _NUMBER.fullmatch(value)):
        return _quoted(value)
    return _quote_if_needed(value)


def _plain_word(text: str) -> bool:
    """True when `text` parses back as bare words, not as a filter or payload term."""
    name = _IDENT.match(text)
    if name is None:
        return True
    after = text[name.end() : name.end() + 1]
    lowered = name.group(0).lower()
    if lowered == "step" and after in (":", "."):
        return False
    if lowered in SOURCES and after and after in ".=<>~":
        return False
    return after != ":"


def _quote_if_needed(text: str, *, bare_ok: bool = True) -> str:
    if bare_ok and text and not text.startswith("-") and not any(c in _STOP for c in text):
        return text
    return _quoted(text)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
