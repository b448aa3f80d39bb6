"""`run -k EXPR`: and / or / not / parentheses over a scenario's keywords, substring matches,
and a malformed expression refused with what is wrong and where (exit 2)."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.keyword_expr import MAX_DEPTH, ExpressionError, compile_expression
from harness.scenarios import ScenarioError, discover, select

KEYWORDS = "precedence-endpoint-url Fetch Token rule-4.2 launch_params"


@pytest.mark.parametrize(
    ("expression", "selected"),
    [
        ("fetch", True),
        ("FETCH", True),  # case-insensitive
        ("endpoint-url", True),  # a substring of a keyword
        ("absent", False),
        ("not absent", True),
        ("not not fetch", True),
        ("fetch and token", True),
        ("fetch and absent", False),
        ("absent or token", True),
        ("absent or missing", False),
        ("fetch and not token", False),
        ("not fetch or token", True),  # not binds tighter than or
        ("absent and token or fetch", True),  # and binds tighter than or
        ("absent and (token or fetch)", False),
        ("(absent or fetch)and(token)", True),  # parentheses need no spaces
        ("((fetch))", True),
        ("Fetch AND NOT absent", True),  # operators in any case
        ("4.2", True),
    ],
)
def test_an_expression_selects_as_pytest_k_does(expression, selected):
    assert compile_expression(expression)(KEYWORDS) is selected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "the expression is empty"),
        ("   ", "the expression is empty"),
        ("()", "expected a word at ')' (word 2)"),
        ("fetch and", "expected a word at end of expression after 'and'"),
        ("or fetch", "expected a word at 'or' (word 1)"),
        ("not", "expected a word at end of expression after 'not'"),
        ("fetch token", "unexpected 'token' (word 2) (join words with and / or)"),
        ("(fetch or token", "expected ')' at end of expression after 'token'"),
        ("fetch)", "unexpected ')' (word 2)"),
        ("fetch and and token", "expected a word at 'and' (word 3)"),
        ("(" * (MAX_DEPTH + 2) + "x" + ")" * (MAX_DEPTH + 2), f"more than {MAX_DEPTH} nested"),
        ("not " * (MAX_DEPTH + 2) + "x", f"more than {MAX_DEPTH} nested"),
    ],
)
def test_a_malformed_expression_says_what_is_wrong(expression, reason):
    with pytest.raises(ExpressionError) as caught:
        compile_expression(expression)
    assert reason in str(caught.value)


def test_words_are_never_code():
    """A word that is Python is only a word: it matches itself, and runs nothing."""
    for word in ("__import__", "os.system;", "True", "1", "[]", "lambda:0"):
        assert compile_expression(word)(f"x {word} y") is True
        assert compile_expression(word)("nothing here") is False


def test_select_on_the_builtin_suite():
    suite = discover()
    chosen = select(suite, "precedence and fetch and not no-fetch")
    assert chosen and all("precedence" in s.keywords().lower() for s in chosen)
    assert all("no-fetch" not in s.keywords().lower() for s in chosen)
    assert select(suite, None) == suite
    assert select(suite, "absent-from-every-scenario") == []


def test_select_refuses_a_malformed_expression_even_with_nothing_to_select():
    with pytest.raises(ScenarioError, match=r"-k expression 'a and \(' is not valid: expected"):
        select([], "a and (")


def test_run_refuses_a_malformed_expression_with_exit_2_and_one_line(capsys):
    assert main(["run", "-k", "precedence and (fetch"]) == 2
    assert capsys.readouterr().err == (
        "weare-harness run: -k expression 'precedence and (fetch' is not valid: "
        "expected ')' at end of expression after 'fetch'\n"
    )
