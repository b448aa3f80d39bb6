"""`run -k EXPR`, as pytest's -k: words joined by `and`, `or`, `not` and parentheses; a word
matches when it is a substring of the scenario's keywords (case-insensitive).

    expr := term ("or" term)*      term := factor ("and" factor)*
    factor := "not" factor | "(" expr ")" | WORD
"""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import HarnessError

Matcher = Callable[[str], bool]
OPERATORS = frozenset({"and", "or", "not", "(", ")"})
MAX_DEPTH = 50  # nested parentheses and `not`s: more is no selection anyone means


class ExpressionError(HarnessError, ValueError):
    """A malformed -k expression; the message says what is wrong and where."""


def compile_expression(expression: str) -> Matcher:
    """A function of a scenario's keywords text: True when the expression selects it."""
    tokens = expression.replace("(", " ( ").replace(")", " ) ").split()
    if not tokens:
        raise ExpressionError("the expression is empty")
    parser = _Parser(tokens)
    matcher = parser.expr(0)
    if parser.pos < len(tokens):
        raise ExpressionError(f"unexpected {parser.where()} (join words with and / or)")
    return lambda keywords: matcher(keywords.lower())


class _Parser:
    """Recursive descent over the tokens; `pos` is the next token's index."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].lower() if self.pos < len(self.tokens) else None

    def where(self) -> str:
        """The next token and its place (word N, from 1), or the end."""
        if self.pos >= len(self.tokens):
            after = f" after {self.tokens[-1]!r}" if self.tokens else ""
            return f"end of expression{after}"
        return f"{self.tokens[self.pos]!r} (word {self.pos + 1})"

    def expr(self, depth: int) -> Matcher:
        return self._joined("or", lambda: self.term(depth), any)

    def term(self, depth: int) -> Matcher:
        return self._joined("and", lambda: self.factor(depth), all)

    def _joined(
        self, operator: str, operand: Callable[[], Matcher], combine: Callable[..., bool]
    ) -> Matcher:
        """One operand, or several joined by `operator` (`combine`: any for or, all for and)."""
        parts = [operand()]
        while self.peek() == operator:
            self.pos += 1
            parts.append(operand())
        return parts[0] if len(parts) == 1 else lambda text: combine(p(text) for p in parts)

    def factor(self, depth: int) -> Matcher:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"more than {MAX_DEPTH} nested 'not' or '('")
        token = self.peek()
        if token == "not":
            self.pos += 1
            inner = self.factor(depth + 1)
            return lambda text: not inner(text)
        if token == "(":
            self.pos += 1
            inner = self.expr(depth + 1)
            if self.peek() != ")":
                raise ExpressionError(f"expected ')' at {self.where()}")
            self.pos += 1
            return inner
        if token is None or token in OPERATORS:
            raise ExpressionError(f"expected a word at {self.where()}")
        self.pos += 1
        return lambda text: token in text
