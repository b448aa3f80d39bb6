"""Advice from the observed cause: named cause functions, tried in order, over one exchange.

Each cause function looks at what came back (network error, status class, headers, body) and,
when it recognises its cause, returns what was observed, why it matters and how to fix it. A
failed check's advice is the first cause that matches its evidence; only when none does (the
answer was a well-formed success that is wrong in substance) does the check's own fix apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.certify.answer import page_title
from harness.certify.recorder import Exchange
from harness.certify.words import Words, read_words


@dataclass(frozen=True)
class Cause:
    name: str
    observed: str
    why: str
    fix: str
    requirement: str | None = None  # the cmi5 requirement id the answer names

    def as_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "observed": self.observed,
            "why": self.why,
            "fix": self.fix,
            "requirement": self.requirement,
        }


CauseFunc = Callable[[Exchange, list[Exchange]], "Cause | None"]
CAUSES: list[tuple[str, CauseFunc]] = []


def cause(name: str) -> Callable[[CauseFunc], CauseFunc]:
    """Register a cause function; earlier registrations are tried first."""

    def register(func: CauseFunc) -> CauseFunc:
        CAUSES.append((name, func))
        return func

    return register


def diagnose(ex: Exchange, history: list[Exchange]) -> Cause | None:
    """The first cause that explains this exchange, given everything sent before it."""
    for _, func in CAUSES:
        found = func(ex, history)
        if found is not None:
            return found
    return None


def _where(ex: Exchange) -> str:
    return f"{ex.method} {urlsplit(ex.url).path or '/'}"


def _words(ex: Exchange) -> Words:
    """The answer's own words (requirement id, error word, message), from the redacted body."""
    return read_words(ex.response_body)


def _message(ex: Exchange) -> str:
    """The LRS's own words, short: its message member, its text, or its page's words."""
    return _words(ex).message


def _is_fetch(ex: Exchange) -> bool:
    """A request to a launch's fetch URL (certify's own or the capture page's)."""
    return "fetch (" in ex.label


def _is_write(ex: Exchange) -> bool:
    return ex.method in ("POST", "PUT") and urlsplit(ex.url).path.rstrip("/").endswith(
        "/statements"
    )


@cause("timeout")
def timeout(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if not (ex.error and ex.error.startswith("no answer")):
        return None
    return Cause(
        "timeout",
        f"{_where(ex)}: {ex.error}",
        "We Are gives up on a request that hangs; the completion is lost.",
        "Answer within a second; check the LMS's load balancer and worker timeouts.",
    )


BLOCKED_IN_BROWSER = "blocked in the browser"  # how the capture page's unanswered requests read


@cause("blocked-in-browser")
def blocked_in_browser(ex: Exchange, history: list[Exchange]) -> Cause | None:
    """A request the capture page made that the browser gave no answer to: CORS, most often."""
    if not (ex.error and ex.error.startswith(BLOCKED_IN_BROWSER)):
        return None
    if _is_fetch(ex):
        return _blocked_fetch(ex, history)
    host = urlsplit(ex.url).netloc
    answered = any(e.status is not None and urlsplit(e.url).netloc == host for e in history)
    failed = _failed_preflight(history)
    allowed = next((e for e in history if e.method == "OPTIONS" and e.status is not None), None)
    observed = f"{_where(ex)} {_seen_where(ex)}: {ex.error}"
    if failed is not None:
        observed += f"; certify's own CORS preflight was refused: {_preflight_words(failed)}"
    elif allowed is not None:
        observed += (
            "; certify's own CORS preflight was allowed, so look at the answer's own "
            "Access-Control-Allow-Origin"
        )
    elif answered:
        observed += f"; {host} answers certify's own requests, so the browser refused it (CORS)"
    return Cause(
        "blocked-in-browser",
        observed,
        "A browser gives a page no answer from another origin unless the CORS preflight "
        "allows it and the answer carries Access-Control-Allow-Origin; We Are's story is such "
        "a page, so its statements never arrive.",
        f"Answer OPTIONS on {host}'s xAPI resources with Access-Control-Allow-Origin (the "
        "story's origin or *) and Access-Control-Allow-Headers: Authorization, Content-Type, "
        "X-Experience-API-Version; put Access-Control-Allow-Origin on every answer too.",
    )


def _seen_where(ex: Exchange) -> str:
    """Where the blocked request was seen: on the capture page, or in a recording (--har)."""
    return "in the recording" if ex.label.startswith("recorded:") else "from the capture page"


def _blocked_fetch(ex: Exchange, history: list[Exchange]) -> Cause:
    """The fetch URL's POST is a simple request (no custom headers): no preflight is sent for
    it, so what the browser missed is Access-Control-Allow-Origin on its answer itself."""
    host = urlsplit(ex.url).netloc
    observed = (
        f"{_where(ex)} {_seen_where(ex)}: {ex.error}; the fetch request carries no custom "
        "header, so the browser sends no preflight for it and hides its answer unless the "
        "answer carries Access-Control-Allow-Origin"
    )
    fix = (
        f"Put Access-Control-Allow-Origin (the story's origin or *) on every answer of {host}'s "
        "fetch URL itself (the POST's answer, errors included); no preflight is involved."
    )
    failed = _failed_preflight(history)
    if failed is not None:
        observed += "; certify's CORS preflight of the xAPI resources was refused too: " + (
            _preflight_words(failed)
        )
        fix += (
            " The xAPI resources need CORS too: answer their OPTIONS with "
            "Access-Control-Allow-Origin and Access-Control-Allow-Headers: Authorization, "
            "Content-Type, X-Experience-API-Version."
        )
    return Cause(
        "blocked-in-browser",
        observed,
        "A browser hands a page the answer from another origin only when that answer carries "
        "Access-Control-Allow-Origin; without it We Are's story gets no auth-token and sends "
        "nothing.",
        fix,
    )


def _failed_preflight(history: list[Exchange]) -> Exchange | None:
    """A CORS preflight that was answered but did not allow the story's request."""
    return next(
        (
            e
            for e in history
            if e.method == "OPTIONS"
            and e.status is not None
            and (e.status >= 400 or cors_missing(e, history) is not None)
        ),
        None,
    )


def _preflight_words(ex: Exchange) -> str:
    return (
        f"{ex.status} with Allow-Origin {ex.header('Access-Control-Allow-Origin')!r} and "
        f"Allow-Headers {ex.header('Access-Control-Allow-Headers')!r}"
    )


@cause("cors-missing")  # before the status causes: a preflight is judged by its CORS headers
def cors_missing(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.method != "OPTIONS" or ex.status is None:
        return None
    origin = ex.header("Access-Control-Allow-Origin")
    headers = ex.header("Access-Control-Allow-Headers")
    if origin and headers and "x-experience-api-version" in headers.lower():
        return None
    return Cause(
        "cors-missing",
        f"the preflight answered {ex.status} with Allow-Origin {origin!r} and Allow-Headers "
        f"{headers!r}",
        "A browser blocks a cross-origin request whose preflight does not allow it.",
        "Answer OPTIONS on xAPI resources with Access-Control-Allow-Origin (the story's "
        "origin or *) and Access-Control-Allow-Headers: Authorization, Content-Type, "
        "X-Experience-API-Version.",
    )


@cause("connection-error")
def connection_error(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if not ex.error:
        return None
    host = urlsplit(ex.url).netloc
    if ex.error.startswith("TLS error"):
        fix = f"Serve {host} with a valid TLS certificate chain for that host name."
    elif ex.error.startswith("DNS failure"):
        fix = f"The host name {host!r} does not resolve: publish it in DNS or fix the URL."
    else:
        fix = f"Nothing answers at {host}: check the URL, the port, firewalls and that it runs."
    return Cause(
        "connection-error",
        f"{_where(ex)} could not connect: {ex.error}",
        "We Are cannot deliver anything to a host it cannot reach.",
        fix,
    )


@cause("redirect")
def redirect(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.status is None or not 300 <= ex.status < 400:
        return None
    return Cause(
        "redirect",
        f"{_where(ex)} answered {ex.status} redirect to {ex.header('Location')!r}",
        "Clients resend a redirected POST as GET without its body: the statement is lost.",
        f"Serve {urlsplit(ex.url).path} directly, without a redirect (no trailing-slash rule, "
        "no http→https hop on API paths).",
    )


ABANDONED_RULES = ("8.1.2.0-2", "9.3.6.0-2")  # token limited to the session; none after it
ABANDONED = "this launch's session was abandoned by a newer launch for the same registration"


@cause("session-abandoned")  # before cmi5-rule and forbidden: it names why the rule applied
def session_abandoned(ex: Exchange, history: list[Exchange]) -> Cause | None:
    """A refusal for an ended session after another launch was used: cmi5 lets an LMS abandon
    a registration's open session when it is launched again (§9.3.6, 8.1.2.0-2)."""
    if ex.status not in (401, 403):
        return None
    words = _words(ex)
    if words.base_requirement not in ABANDONED_RULES and "abandon" not in words.message.lower():
        return None
    newer = _newer_launch_fetch(ex, history)
    if newer is None:
        return None
    naming = f" naming cmi5 requirement {words.requirement}" if words.requirement else ""
    return Cause(
        "session-abandoned",
        f"{_where(ex)} answered {ex.status}{naming}: {words.message}; another launch's fetch "
        f"({newer.label!r}) was made: {ABANDONED}",
        f"{ABANDONED[0].upper()}{ABANDONED[1:]}: cmi5 lets an LMS abandon a registration's open "
        "session when the registration is launched again (§9.3.6), and the token of an "
        "abandoned session is refused (8.1.2.0-2). The learner's completion in the older "
        "launch is lost.",
        "Make each launch URL for another learner or registration, or make it after the "
        "previous one was used (its story finished), so that no launch's session is abandoned "
        "by a newer launch for the same registration.",
        words.requirement,
    )


def _newer_launch_fetch(ex: Exchange, history: list[Exchange]) -> Exchange | None:
    """A fetch of another launch made after the fetch this exchange's session began with: the
    last fetch before it. A repeat of the same fetch URL ('fetch again') is not another launch."""
    index = next((i for i, e in enumerate(history) if e is ex), len(history))
    own = next((i for i in range(index - 1, -1, -1) if _is_fetch(history[i])), None)
    if own is None:
        return None
    return next(
        (e for e in history[own + 1 :] if e is not ex and _is_fetch(e) and "again" not in e.label),
        None,
    )


@cause("cmi5-rule")
def cmi5_rule(ex: Exchange, history: list[Exchange]) -> Cause | None:
    """A 403 naming a requirement of the cmi5 catalogue, in whatever shape the LMS words it."""
    words = _words(ex)
    if ex.status != 403 or words.requirement is None:
        return None
    return Cause(
        "cmi5-rule",
        f"{_where(ex)} answered 403 naming cmi5 requirement {words.requirement}: {words.message}",
        "This LMS enforces cmi5 session rules. We Are's documented flow sends only the "
        "Completed statement (no initialized, no terminated), which strict cmi5 refuses.",
        "Accept We Are's documented Completed for its launches (relax this rule for them), "
        "or have We Are play the full cmi5 flow.",
        words.requirement,
    )


@cause("unauthorized")
def unauthorized(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.status != 401:
        return None
    requirement = _words(ex).requirement
    if requirement:
        return Cause(
            "401-for-a-rule",
            f"{_where(ex)} answered 401 naming cmi5 requirement {requirement}",
            "401 means 'unknown credentials': We Are would ask for new ones instead of "
            "reporting the rule break.",
            "Refuse rule breaks with 403 Forbidden; keep 401 for missing or unknown credentials.",
            requirement,
        )
    earlier = [
        e
        for e in history
        if e is not ex
        and e.status is not None
        and 200 <= e.status < 300
        and e.request_headers.get("Authorization")
    ]
    if earlier:
        return Cause(
            "401-for-known-credentials",
            f"{_where(ex)} answered 401 to credentials accepted for {earlier[-1].label!r}",
            "401 means 'unknown credentials'; the same credentials worked a moment before.",
            "Answer 401 only to unknown credentials; a known client refused is 403, and grant "
            "the We Are credentials write access to statements.",
        )
    return Cause(
        "401-unknown-credentials",
        f"{_where(ex)} answered 401: {_message(ex)}",
        "The LRS does not know the credentials We Are sent.",
        "Check the API key (USER:SECRET, sent as Basic base64) or the fetch URL's auth-token.",
    )


@cause("forbidden")
def forbidden(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.status != 403:
        return None
    return Cause(
        "forbidden",
        f"{_where(ex)} answered 403: {_message(ex)}",
        "The credentials are known but not allowed to do this: the completion is refused.",
        f"Grant the credentials We Are uses the right to {_where(ex)}.",
    )


@cause("not-found")
def not_found(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.status != 404:
        return None
    if ex.method == "GET" and "statementId=" in ex.url:
        return Cause(
            "not-stored",
            f"GET of a statement by id answered 404 after the LRS acknowledged it: {_message(ex)}",
            "The LRS answered 200 with the statement's id and then did not store it: the "
            "completion is lost although We Are saw success.",
            "Store a statement before acknowledging it (xAPI-C §2.1.2); check the write path "
            "and any queue behind it.",
        )
    return Cause(
        "not-found",
        f"{_where(ex)} answered 404",
        "There is nothing at this URL: the endpoint is wrong or the resource is not served.",
        "Serve xAPI resources at the endpoint plus the resource name (cmi5 8.1.1.0-3), and "
        "check the endpoint URL you hand out.",
    )


@cause("method-not-allowed")
def method_not_allowed(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.status != 405:
        return None
    return Cause(
        "method-not-allowed",
        f"{_where(ex)} answered 405 (Allow: {ex.header('Allow')!r})",
        f"The LRS does not accept {ex.method} here, and We Are uses {ex.method}.",
        f"Accept {ex.method} on {urlsplit(ex.url).path}.",
    )


@cause("bad-request")
def bad_request(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.status != 400:
        return None
    message = _message(ex)
    if "version" in message.lower():
        return Cause(
            "version-refused",
            f"{_where(ex)} answered 400 about the version: {message}",
            "We Are sends X-Experience-API-Version 1.0.3, the version cmi5 is built on.",
            "Accept X-Experience-API-Version 1.0.x (1.0.3).",
        )
    return Cause(
        "bad-request",
        f"{_where(ex)} answered 400: {message}",
        "The LRS judged the request invalid; what it names is what to compare with We Are's "
        "documented statement.",
        "Read the LRS's message against the request below; if the statement is valid xAPI "
        "1.0.3, the LRS's validation is too strict.",
    )


@cause("unprocessable")
def unprocessable(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.status != 422:
        return None
    return Cause(
        "unprocessable",
        f"{_where(ex)} answered 422: {_message(ex)}",
        "xAPI answers invalid requests with 400; clients do not expect 422.",
        "Answer invalid xAPI requests with 400 Bad Request and a message.",
    )


@cause("server-error")
def server_error(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.status is None or ex.status < 500:
        return None
    index = next((i for i, e in enumerate(history) if e is ex), len(history))
    before = history[:index]
    writes = [e for e in before if _is_write(e) and e.status is not None and e.status < 300]
    observed = f"{_where(ex)} answered {ex.status}: {_message(ex)}"
    if _is_write(ex) and writes:
        nth = len([e for e in before if _is_write(e)]) + 1
        observed = (
            f"{ex.status} on a second write: {_where(ex)} answered {ex.status} on write "
            f"#{nth} of this run, after {writes[0].label!r} was accepted "
            f"({writes[0].status}): {_message(ex)}"
        )
    fix = "Find the cause in the LRS's logs: a valid request never deserves a 5xx."
    if ex.status == 503:
        fix = "Add capacity, or answer 503 only briefly with Retry-After; find why it is down."
    return Cause(
        "server-error",
        observed,
        "A completion answered 5xx is lost unless We Are retries it.",
        fix,
    )


@cause("html-instead-of-json")
def html_instead_of_json(ex: Exchange, history: list[Exchange]) -> Cause | None:
    title = page_title(ex)
    if title is None:
        return None
    return Cause(
        "html-instead-of-json",
        f"{_where(ex)} answered {ex.status} with an HTML page"
        + (f" titled {title!r}" if title else "")
        + " instead of JSON",
        "An xAPI client reads JSON; a web page (often a login page) means the URL is not the "
        "API, or a proxy answers in its place.",
        "Point the URL at the API itself and let it answer JSON without a browser session.",
    )


def slow_answer(ex: Exchange, limit_s: float) -> Cause:
    """Not in the registry: slowness is judged over the whole run, not from one answer."""
    return Cause(
        "slow-answer",
        f"{_where(ex)} answered {ex.status} after {ex.seconds:.2f} s (limit {limit_s:g} s)",
        "Learners close the tab when the story ends; a completion still in flight is lost.",
        "Answer xAPI requests in well under a second: move slow work (reporting, grading, "
        "webhooks) out of the request.",
    )


@cause("client-error")
def client_error(ex: Exchange, history: list[Exchange]) -> Cause | None:
    if ex.status is None or not 400 <= ex.status < 500:
        return None
    return Cause(
        "client-error",
        f"{_where(ex)} answered {ex.status}: {_message(ex)}",
        "The LRS refused the request; the completion does not arrive.",
        "Read the LRS's message against the request below.",
    )
