"""A SOQL subset for the Salesforce emulator:

    SELECT f1, f2 | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], …]
    [LIMIT n] [OFFSET n]

Conditions: `field op literal` with = != <> < <= > >=, `[NOT] IN (…)`, `LIKE`, AND / OR / NOT
and parentheses. Literals: 'quoted strings' with backslash escapes, numbers, true/false/null,
unquoted datetimes (2024-01-01T00:00:00Z, +0000, .000) and dates. Field and object names are
case-insensitive, as in Salesforce. Errors carry Salesforce's errorCode (MALFORMED_QUERY,
INVALID_FIELD, INVALID_TYPE).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
      | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT]))
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_KEYWORDS = {"SELECT", "FROM", "WHERE", "ORDER", "BY", "LIMIT", "OFFSET", "AND", "OR", "NOT", "IN",
             "LIKE", "ASC", "DESC", "NULLS", "FIRST", "LAST", "TRUE", "FALSE", "NULL", "COUNT"}


class SoqlError(Exception):
    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass
class Query:
    sobject: str
    fields: list[str]  # empty for COUNT()
    count: bool = False
    where: Any = None  # nested tuples, see _Parser.condition
    order_by: list[tuple[str, bool, bool]] = field(default_factory=list)  # (field, desc, nulls_first)
    limit: int | None = None
    offset: int = 0


def parse_datetime(text: str) -> datetime | None:
    """Salesforce datetimes: `2024-05-07T22:07:19.000+0000`, `…Z`, `…+00:00`; dates as midnight UTC."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip().rstrip(":")  # simple-salesforce sends naive datetimes with a trailing ':'
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value.replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _tokenize(soql: str) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, soql.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise SoqlError("MALFORMED_QUERY", f"\n{soql}\nERROR at Row:1:Column:{pos + 1}\n"
                            f"unexpected token: '{text[pos:pos + 10].strip()}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, soql: str) -> None:
        self.soql, self.tokens, self.pos = soql, _tokenize(soql), 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("eof", "<EOF>")

    def is_word(self, *words: str) -> bool:
        kind, text = self.peek()
        return kind == "word" and text.upper() in words

    def fail(self, expected: str = "") -> SoqlError:
        found = self.peek()[1]
        hint = f" (expecting {expected})" if expected else ""
        return SoqlError("MALFORMED_QUERY", f"\n{self.soql}\nunexpected token: '{found}'{hint}")

    def take(self, kind: str | None = None, word: str | None = None) -> str:
        tok_kind, text = self.peek()
        if (kind and tok_kind != kind) or (word and not (tok_kind == "word" and text.upper() == word)):
            raise self.fail(word or kind or "")
        self.pos += 1
        return text

    def expect(self, symbol: str) -> None:
        if self.peek()[1] != symbol:
            raise self.fail(f"'{symbol}'")
        self.pos += 1

    def name(self) -> str:
        kind, text = self.peek()
        if kind != "word" or text.upper() in _KEYWORDS - {"COUNT", "FIRST", "LAST"}:
            raise self.fail("a field or object name")
        self.pos += 1
        return text

    def query(self) -> Query:
        self.take(word="SELECT")
        count, fields = False, []
        if self.is_word("COUNT") and self.peek(1)[1] == "(":
            self.pos += 2
            self.expect(")")
            count = True
        else:
            fields.append(self.name())
            while self.peek()[1] == ",":
                self.pos += 1
                fields.append(self.name())
        self.take(word="FROM")
        query = Query(sobject=self.name(), fields=fields, count=count)
        if self.is_word("WHERE"):
            self.pos += 1
            query.where = self.disjunction()
        if self.is_word("ORDER"):
            self.pos += 1
            self.take(word="BY")
            while True:
                name, desc = self.name(), False
                if self.is_word("ASC", "DESC"):
                    desc = self.take().upper() == "DESC"
                nulls_first = not desc
                if self.is_word("NULLS"):
                    self.pos += 1
                    nulls_first = self.take("word").upper() == "FIRST"
                query.order_by.append((name, desc, nulls_first))
                if self.peek()[1] != ",":
                    break
                self.pos += 1
        for clause in ("LIMIT", "OFFSET"):
            if self.is_word(clause):
                self.pos += 1
                number = self.take("number")
                if "." in number or int(number) < 0:
                    raise self.fail("a non-negative integer")
                setattr(query, clause.lower(), int(number))
        if self.peek()[0] != "eof":
            raise self.fail()
        return query

    def disjunction(self) -> Any:
        parts = [self.conjunction()]
        while self.is_word("OR"):
            self.pos += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self) -> Any:
        parts = [self.negation()]
        while self.is_word("AND"):
            self.pos += 1
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def negation(self) -> Any:
        if self.is_word("NOT"):
            self.pos += 1
            return ("not", self.negation())
        if self.peek()[1] == "(":
            self.pos += 1
            inner = self.disjunction()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Any:
        name = self.name()
        if self.is_word("NOT") and self.peek(1)[1].upper() == "IN":
            self.pos += 2
            return ("in", name, self.value_list(), True)
        if self.is_word("IN"):
            self.pos += 1
            return ("in", name, self.value_list(), False)
        if self.is_word("LIKE"):
            self.pos += 1
            return ("like", name, self.literal())
        kind, op = self.peek()
        if kind != "op" or op in ("(", ")", ","):
            raise self.fail("an operator")
        self.pos += 1
        return ("cmp", name, "!=" if op == "<>" else op, self.literal())

    def value_list(self) -> list[tuple[str, Any]]:
        self.expect("(")
        values = [self.literal()]
        while self.peek()[1] == ",":
            self.pos += 1
            values.append(self.literal())
        self.expect(")")
        return values

    def literal(self) -> tuple[str, Any]:
        kind, text = self.peek()
        self.pos += 1
        if kind == "string":
            return ("string", re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1]))
        if kind == "number":
            return ("number", float(text) if "." in text else int(text))
        if kind == "datetime":
            return ("datetime", parse_datetime(text))
        if kind == "date":
            return ("date", date.fromisoformat(text))
        if kind == "word" and text.upper() in ("TRUE", "FALSE"):
            return ("boolean", text.upper() == "TRUE")
        if kind == "word" and text.upper() == "NULL":
            return ("null", None)
        self.pos -= 1
        raise self.fail("a literal value")


def parse(soql: str) -> Query:
    if not soql or not soql.strip():
        raise SoqlError("MALFORMED_QUERY", "The query string is empty")
    return _Parser(soql).query()


def field_names(where: Any) -> list[str]:
    """Every field a WHERE tree mentions."""
    if where is None:
        return []
    if where[0] in ("and", "or"):
        return [n for part in where[1] for n in field_names(part)]
    if where[0] == "not":
        return field_names(where[1])
    return [where[1]]


def _typed(value: Any, field_type: str) -> Any:
    """A record value in the shape its literal compares with."""
    if value is None:
        return None
    if field_type == "datetime":
        return parse_datetime(value)
    if field_type == "date":
        parsed = parse_datetime(value)
        return parsed.date() if parsed else None
    if isinstance(value, str):
        return value.casefold()  # SOQL text comparison is case-insensitive
    return value


_EXPECTED = {"datetime": "datetime", "date": "date", "boolean": "boolean", "int": "number",
             "double": "number", "currency": "number", "percent": "number"}


def check_literal(name: str, field_type: str, literal: tuple[str, Any]) -> None:
    """Salesforce refuses e.g. a quoted datetime: INVALID_FIELD, 'must be of type dateTime'."""
    kind = literal[0]
    expected = _EXPECTED.get(field_type, "string")
    if kind == "null" or kind == expected:
        return
    quoted = "should be enclosed in quotes" if expected == "string" else "should not be enclosed in quotes"
    soql_type = {"datetime": "dateTime"}.get(expected, expected)
    raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{name}' must be of type "
                    f"{soql_type} and {quoted}")


def _literal_value(literal: tuple[str, Any], field_type: str) -> Any:
    kind, value = literal
    return value.casefold() if kind == "string" else value


def _sort_key(value: Any) -> tuple[int, Any]:
    # Rank by kind first so a column mixing kinds still sorts instead of raising TypeError.
    if isinstance(value, bool | int | float):
        return (0, float(value))
    if isinstance(value, datetime):
        return (1, value)
    if isinstance(value, date):
        return (2, value)
    return (3, str(value))


def predicate(where: Any, types: dict[str, str]) -> Callable[[dict], bool]:
    """Compile a resolved WHERE tree into a record predicate (`types`: field -> SOAP type)."""
    if where is None:
        return lambda record: True
    op = where[0]
    if op in ("and", "or"):
        parts = [predicate(p, types) for p in where[1]]
        combine = all if op == "and" else any
        return lambda record: combine(p(record) for p in parts)
    if op == "not":
        inner = predicate(where[1], types)
        return lambda record: not inner(record)
    name, field_type = where[1], types.get(where[1], "string")
    if op == "in":
        wanted = {_literal_value(v, field_type) for v in where[2]}
        negate = where[3]
        return lambda record: (_typed(record.get(name), field_type) in wanted) != negate
    if op == "like":
        pattern = re.compile("^" + re.escape(str(where[2][1])).replace("%", ".*").replace("_", ".")
                             + "$", re.IGNORECASE | re.DOTALL)
        return lambda record: record.get(name) is not None and bool(pattern.match(str(record.get(name))))
    comparator, literal = where[2], _literal_value(where[3], field_type)

    def compare(record: dict) -> bool:
        value = _typed(record.get(name), field_type)
        if value is None or literal is None:
            return (value is None) == (literal is None) if comparator == "=" else (
                (value is None) != (literal is None) if comparator == "!=" else False)
        try:
            return {"=": value == literal, "!=": value != literal, "<": value < literal,
                    "<=": value <= literal, ">": value > literal, ">=": value >= literal}[comparator]
        except TypeError:
            return comparator == "!="

    return compare


def sort_records(records: list[dict], order_by: list[tuple[str, bool, bool]],
                 types: dict[str, str]) -> list[dict]:
    rows = list(records)
    for name, desc, nulls_first in reversed(order_by):  # stable sorts, last key first
        present = [r for r in rows if r.get(name) is not None]
        missing = [r for r in rows if r.get(name) is None]
        present.sort(key=lambda r, n=name: _sort_key(_typed(r.get(n), types.get(n, "string"))), reverse=desc)
        rows = missing + present if nulls_first else present + missing
    return rows


def _rename_tree(where: Any, rename: Callable[[str], str]) -> Any:
    if where is None:
        return None
    if where[0] in ("and", "or"):
        return (where[0], [_rename_tree(p, rename) for p in where[1]])
    if where[0] == "not":
        return ("not", _rename_tree(where[1], rename))
    return (where[0], rename(where[1]), *where[2:])


def _literals(where: Any) -> list[tuple[str, tuple[str, Any]]]:
    if where is None:
        return []
    if where[0] in ("and", "or"):
        return [lit for p in where[1] for lit in _literals(p)]
    if where[0] == "not":
        return _literals(where[1])
    if where[0] == "in":
        return [(where[1], v) for v in where[2]]
    if where[0] == "like":
        return [(where[1], where[2])]
    return [(where[1], where[3])]


def resolve(soql: str, query: Query, sobject: str, types: dict[str, str]) -> Query:
    """Canonical field names (SOQL is case-insensitive) and literal type checks; raises
    INVALID_FIELD for a column the sObject lacks."""
    canonical = {name.lower(): name for name in types}

    def rename(name: str) -> str:
        if name.lower() not in canonical:
            raise SoqlError("INVALID_FIELD", (
                f"\n{soql}\nERROR at Row:1:Column:1\nNo such column '{name}' on entity '{sobject}'. "
                "If you are attempting to use a custom field, be sure to append the '__c' after the "
                "custom field name. Please reference your WSDL or the describe call for the "
                "appropriate names."))
        return canonical[name.lower()]

    resolved = Query(
        sobject=sobject,
        fields=[rename(f) for f in query.fields],
        count=query.count,
        where=_rename_tree(query.where, rename),
        order_by=[(rename(n), desc, nulls) for n, desc, nulls in query.order_by],
        limit=query.limit,
        offset=query.offset,
    )
    for name, literal in _literals(resolved.where):
        check_literal(name, types[name], literal)
    return resolved
