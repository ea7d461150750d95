"""docassets' search syntax, parsed once and compiled for each engine, so a query means the same
thing on PostgreSQL and on SQLite.

    acme audit            both words (AND is implied; `AND` may be written)
    "2019 audit"          the words next to each other, in this order (a phrase)
    audit*                a word starting with "audit" (letters and digits only before the `*`)
    acme OR wombat        either (OR binds looser than AND: `a b OR c` is `(a b) OR c`)
    acme -draft           acme but not draft (`NOT draft` is the same); a query needs one positive term
    (acme OR wombat) audit

Words match whole words, ignoring case, with no stemming and no stop words on either engine
(`audit` does not find "audits"; write `audit*`). Only upper-case AND, OR and NOT are operators.
A word with punctuation inside ("co-occurrence", "12.50", "000512") is left to the engine's own
tokenizer, which reads it as the phrase of its parts on both engines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<open>\()|(?P<close>\))|(?P<minus>-(?=[^\s)]))|(?P<word>[^\s()"]+))'
)
_PREFIX = re.compile(r"^\w+$")


class QuerySyntaxError(ValueError):
    """The query cannot be read; the message says where and how to write it."""


@dataclass(frozen=True)
class Term:
    """A word or phrase (several words: a phrase), or a word prefix."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class AllOf:
    """Every positive part, and none of the negative ones."""

    positive: tuple[Node, ...]
    negative: tuple[Node, ...] = ()


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Node, ...]


Node = Term | AllOf | AnyOf


def _tokens(query: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(query):
        match = _TOKEN.match(query, position)
        if not match or match.end() == position:
            break
        position = match.end()
        kind = match.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        value = match.group(kind)
        if kind == "word" and value in ("AND", "OR", "NOT"):
            kind = value
        tokens.append((kind, value))
    return tokens


class _Parser:
    def __init__(self, query: str):
        self.tokens = _tokens(query)
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def any_of(self) -> Node | None:
        options = [self.all_of()]
        if options == [None] and self.peek() != "OR":
            return None
        while self.peek() == "OR":
            self.take()
            options.append(self.all_of())
        kept = tuple(option for option in options if option is not None)
        if len(kept) < len(options):
            raise QuerySyntaxError("OR needs a search term on each side, as in: acme OR wombat")
        return kept[0] if len(kept) == 1 else AnyOf(kept)

    def all_of(self) -> Node | None:
        positive: list[Node] = []
        negative: list[Node] = []
        while self.peek() not in (None, "OR", "close"):
            kind = self.peek()
            if kind == "AND":
                self.take()
                continue
            negated = kind in ("minus", "NOT")
            if negated:
                self.take()
            part = self.atom()
            if part is not None:
                (negative if negated else positive).append(part)
        if negative and not positive:
            raise QuerySyntaxError(
                "a query cannot only exclude: add a term to search for, as in: acme -draft"
            )
        if not positive:
            return None
        return positive[0] if len(positive) == 1 and not negative else AllOf(tuple(positive), tuple(negative))

    def atom(self) -> Node | None:
        if self.peek() is None:
            raise QuerySyntaxError("the query ends after NOT or '-': say what to exclude")
        kind, value = self.take()
        if kind == "open":
            inner = self.any_of()
            if self.peek() != "close":
                raise QuerySyntaxError("a '(' is not closed")
            self.take()
            return inner
        if kind == "close":
            raise QuerySyntaxError("a ')' has no matching '('")
        if kind == "phrase":
            text = value.strip('"').strip()
            return Term(text) if re.search(r"\w", text) else None
        if kind in ("AND", "OR", "NOT"):
            raise QuerySyntaxError(f"{kind} needs a search term after it")
        if value.endswith("*"):
            stem = value.rstrip("*")
            if not _PREFIX.match(stem):
                raise QuerySyntaxError(
                    f"{value}: a prefix is letters and digits before the '*', as in audit*"
                )
            return Term(stem, prefix=True)
        return Term(value) if re.search(r"\w", value) else None  # lone punctuation matches nothing


def parse_query(query: str) -> Node:
    """The query's tree; QuerySyntaxError when it cannot be read or searches for nothing."""
    parser = _Parser(query)
    node = parser.any_of()
    if parser.peek() == "close":
        raise QuerySyntaxError("a ')' has no matching '('")
    if node is None:
        raise QuerySyntaxError("the query has no word to search for")
    return node


def fts5_match(node: Node) -> str:
    """The SQLite FTS5 MATCH expression of a query (every term quoted, every group bracketed)."""
    if isinstance(node, Term):
        quoted = '"' + node.text.replace('"', '""') + '"'
        return quoted + " *" if node.prefix else quoted
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(fts5_match(option) for option in node.options) + ")"
    expression = "(" + " AND ".join(fts5_match(part) for part in node.positive) + ")"
    for part in node.negative:
        expression = f"({expression} NOT {fts5_match(part)})"
    return expression
