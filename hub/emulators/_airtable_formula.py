"""A small evaluator for Airtable `filterByFormula`: enough for incremental listings
(`IS_AFTER(LAST_MODIFIED_TIME(), '2024-01-01T00:00:00.000Z')`, `IS_AFTER({Field}, '…')`) and
simple predicates (`AND`, `OR`, `NOT`, comparisons, `{Field}` truthiness).

Anything else raises `FormulaError`, which the emulator answers with 422
`INVALID_FILTER_BY_FORMULA` as Airtable does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<field>\{[^}]*\})
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><=|>=|!=|=|<|>|&|\(|\)|,)
    )""",
    re.VERBOSE,
)


class FormulaError(ValueError):
    pass


# A compiled node takes (record, last modified time) and returns a cell-like value.
Node = Callable[[dict, datetime], Any]


def to_datetime(value: Any) -> datetime | None:
    """Airtable coerces ISO strings and dates to datetimes inside date functions."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _truthy(value: Any) -> bool:
    return value not in (None, "", 0, False, [])


def _tokenize(formula: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    formula = formula.rstrip()
    while pos < len(formula):
        match = _TOKEN.match(formula, pos)
        if not match or match.end() == pos:
            raise FormulaError(f"The formula is invalid near {formula[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, datetime) or isinstance(right, datetime):
        left, right = to_datetime(left), to_datetime(right)
    if left is None or right is None:
        return op == "=" and left == right or op == "!=" and left != right
    try:
        return {
            "=": left == right, "!=": left != right, "<": left < right,
            ">": left > right, "<=": left <= right, ">=": left >= right,
        }[op]
    except TypeError:
        return op == "!="


def _date_test(name: str, args: list[Any]) -> bool:
    if len(args) < 2:
        raise FormulaError(f"{name}() takes two dates")
    left, right = to_datetime(args[0]), to_datetime(args[1])
    if left is None or right is None:
        return False
    return left > right if name == "IS_AFTER" else left < right


_FUNCTIONS: dict[str, Callable[[list[Any], dict, datetime], Any]] = {
    "AND": lambda args, rec, mod: all(_truthy(a) for a in args),
    "OR": lambda args, rec, mod: any(_truthy(a) for a in args),
    "NOT": lambda args, rec, mod: not _truthy(args[0] if args else None),
    "TRUE": lambda args, rec, mod: True,
    "FALSE": lambda args, rec, mod: False,
    "BLANK": lambda args, rec, mod: None,
    "IS_AFTER": lambda args, rec, mod: _date_test("IS_AFTER", args),
    "IS_BEFORE": lambda args, rec, mod: _date_test("IS_BEFORE", args),
    "DATETIME_PARSE": lambda args, rec, mod: to_datetime(args[0] if args else None),
    "LAST_MODIFIED_TIME": lambda args, rec, mod: mod,
    "CREATED_TIME": lambda args, rec, mod: to_datetime(rec.get("createdTime")),
    "RECORD_ID": lambda args, rec, mod: rec.get("id"),
}


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], known_fields: set[str]) -> None:
        self.tokens, self.pos, self.known_fields = tokens, 0, known_fields
        self.unknown: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise FormulaError(f"The formula is invalid: expected {value or 'a value'}")
        self.pos += 1
        return token

    def expression(self) -> Node:
        left = self.concat()
        token = self.peek()
        if token and token[0] == "op" and token[1] in ("=", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            right = self.concat()
            return lambda rec, mod: _compare(op, left(rec, mod), right(rec, mod))
        return left

    def concat(self) -> Node:
        parts = [self.primary()]
        while (token := self.peek()) and token[1] == "&":
            self.take()
            parts.append(self.primary())
        if len(parts) == 1:
            return parts[0]
        return lambda rec, mod: "".join("" if (v := p(rec, mod)) is None else str(v) for p in parts)

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "field" or (kind == "name" and (self.peek() or ("", ""))[1] != "("):
            name = text[1:-1] if kind == "field" else text
            if name not in self.known_fields:
                self.unknown.append(name)
            return lambda rec, mod: rec.get("fields", {}).get(name)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", text[1:-1])
            return lambda rec, mod: value
        if kind == "number":
            number = float(text) if "." in text else int(text)
            return lambda rec, mod: number
        if kind == "op" and text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind == "name":
            function = _FUNCTIONS.get(text.upper())
            if function is None:
                raise FormulaError(f"Unknown function names: {text}")
            self.take("(")
            args: list[Node] = []
            while (self.peek() or ("", ""))[1] != ")":
                args.append(self.expression())
                if (self.peek() or ("", ""))[1] == ",":
                    self.take(",")
            self.take(")")
            return lambda rec, mod: function([a(rec, mod) for a in args], rec, mod)
        raise FormulaError(f"The formula is invalid near {text!r}")


def compile_formula(formula: str, known_fields: set[str]) -> Callable[[dict, datetime], bool] | None:
    """A predicate over (record, last modified time), or None for the empty formula."""
    if not formula.strip():
        return None
    parser = _Parser(_tokenize(formula), known_fields)
    node = parser.expression()
    if parser.peek() is not None:
        raise FormulaError(f"The formula is invalid near {parser.peek()[1]!r}")
    if parser.unknown:
        raise FormulaError(f"Unknown field names: {', '.join(parser.unknown)}")
    return lambda rec, mod: _truthy(node(rec, mod))
