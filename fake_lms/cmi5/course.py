"""cmi5 course import (cmi5 §13 Course Structure, §14 Course Package).

Turns a bare ``cmi5.xml`` or a ZIP course package into an immutable course model, and refuses a
non-conforming package with the cmi5 requirement id it breaks (CATAPULT ``@cmi5/requirements``
numbering), so the fake LMS can tell a course author exactly what to fix.

AU numbering: ``CourseSpec.aus()`` lists the AUs depth-first in document order, and "AU number N"
(as the admin API says it) is the **0-based** index N into that list.

Validation order: well-formedness, root namespace, the cmi5 XSD (13.2.0.0-1; 13.1.5.0-2 when the
offending element is a foreign extension), then the rules the XSD cannot express (absolute IRIs,
unique ids, objective references, masteryScore precision, AU url checks), in document order; the
first violation found is raised.
"""

from __future__ import annotations

import codecs
import io
import posixpath
import re
import string
import threading
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import NoReturn
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from lxml import etree

from fake_lms.cmi5.au_url import au_url_problem

CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
LEGACY_NAMESPACES = (
    "http://www.adlnet.gov/cmi5/CourseStructure.xsd",
    "http://aicc.org/CMI5/CourseStructure.xsd",
)
SCHEMA_RESOURCE = "schemas/cmi5_CourseStructure.xsd"
PACKAGE_ROOT_FILE = "cmi5.xml"
LAUNCH_PARAMETER_NAMES = ("endpoint", "fetch", "actor", "registration", "activityId")
MOVE_ON_VALUES = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
LAUNCH_METHODS = ("AnyWindow", "OwnWindow")
DEFAULT_MOVE_ON = "NotApplicable"
DEFAULT_LAUNCH_METHOD = "AnyWindow"
UNDETERMINED_LANG = "und"  # RFC 5646 tag used for a langstring without a lang attribute
MASTERY_SCORE_MAX_DECIMALS = 4
# One package, uncompressed. The real packages the project knows are tiny: the course structures
# in tests/data/courses are 0.7 and 3.2 KB, the reference We Are story (harness/story/static) is
# 24 KB. 16 MiB is over 600 times the largest of them, room for packaged media in a test course,
# and equal to the largest request body (LMSConfig.max_body_bytes), so a package stored expanded
# is never bigger than an upload could be. `serve --package-max-mib` changes it.
MAX_UNCOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_ZIP_ENTRIES = 100_000

_Q = f"{{{CMI5_NS}}}"
_INDEXED = frozenset({"au", "block", "objective", "langstring"})
_IRI_ATTRIBUTES = frozenset({"id", "idref"})
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_IRI_FORBIDDEN_RE = re.compile(r'[\x00-\x20\x7f-\x9f<>"{}|\\^`]')
_BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 1738 §2.2: alphanumerics, "safe", "extra", "reserved", "%" escapes, plus "#" for a fragment
# and "~" (unreserved since RFC 2396, ubiquitous in real URLs).
_URL_ALLOWED = frozenset(string.ascii_letters + string.digits + "$-_.+!*'(),;/?:@=&%#~")
_HOST_SCHEMES = frozenset({"http", "https", "ftp"})  # RFC 1738 §3.1 common Internet syntax
_LIBXML_SEGMENT_RE = re.compile(r"(?:([\w.\-]+):)?(\*|[\w.\-]+)(?:\[(\d+)\])?")
_ELEMENT_IN_MSG_RE = re.compile(r"Element '(?:\{([^}]*)\})?([^']*)'")
_ATTRIBUTE_IN_MSG_RE = re.compile(r"attribute '([^']*)'")
_VALUE_IN_MSG_RE = re.compile(r"The value '([^']*)'")
_DRIVE_RE = re.compile(r"[A-Za-z]:")
_MEMBER_READ_ERRORS = (
    zipfile.BadZipFile,
    NotImplementedError,
    RuntimeError,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
)


class CourseImportError(ValueError):
    """A course package the fake LMS refuses, naming the cmi5 requirement it breaks."""

    def __init__(self, requirement: str, rule: str, where: str = "") -> None:
        """Keep the parts separate so the admin API can report them field by field."""
        self.requirement = requirement
        self.rule = rule
        self.where = where
        suffix = f" [at {where}]" if where else ""
        super().__init__(f"cmi5 {requirement}: {rule}{suffix}")

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form for an HTTP error body."""
        return {"requirement": self.requirement, "rule": self.rule, "where": self.where}


@dataclass(frozen=True)
class ObjectiveSpec:
    """A course-level objective (cmi5 §13.1.3); AUs and blocks reference it by id."""

    id: str
    title: dict[str, str]
    description: dict[str, str]


@dataclass(frozen=True)
class AUSpec:
    """One AU as the course structure declares it (cmi5 §13.1.4), values trimmed and defaulted."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    url: str
    move_on: str = DEFAULT_MOVE_ON
    mastery_score: float | None = None
    launch_method: str = DEFAULT_LAUNCH_METHOD
    launch_parameters: str | None = None
    entitlement_key: str | None = None
    activity_type: str | None = None
    objectives: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlockSpec:
    """A block of AUs and nested blocks (cmi5 §13.1.2), needed for block satisfaction."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    children: tuple[AUSpec | BlockSpec, ...]
    objectives: tuple[str, ...] = ()


@dataclass(frozen=True)
class CourseSpec:
    """An imported course (cmi5 §13.1.1) with its AU/block tree in document order."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    children: tuple[AUSpec | BlockSpec, ...]
    objectives: tuple[ObjectiveSpec, ...] = ()

    def aus(self) -> list[AUSpec]:
        """AUs depth-first in document order; "AU number N" is the 0-based index N here."""
        return [node for node in _walk(self.children) if isinstance(node, AUSpec)]

    def blocks(self) -> list[BlockSpec]:
        """Blocks depth-first in document order (parents before their nested blocks)."""
        return [node for node in _walk(self.children) if isinstance(node, BlockSpec)]


def _walk(children: tuple[AUSpec | BlockSpec, ...]) -> Iterator[AUSpec | BlockSpec]:
    """Pre-order traversal without recursion limits for deeply nested blocks."""
    stack: list[Iterator[AUSpec | BlockSpec]] = [iter(children)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        yield node
        if isinstance(node, BlockSpec):
            stack.append(iter(node.children))


# --------------------------------------------------------------------------- XML and the XSD


_validate_lock = threading.Lock()


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    """Load the shipped cmi5 XSD once; it is package data, never fetched from the network."""
    data = resources.files("fake_lms").joinpath(SCHEMA_RESOURCE).read_bytes()
    return etree.XMLSchema(etree.fromstring(data, _xml_parser()))


def _xml_parser() -> etree.XMLParser:
    """A parser that never expands entities, loads DTDs or touches the network (XXE-safe)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _where(source: str, path: str, line: int | None = None) -> str:
    """Location text shared by every error: file, element path, line."""
    parts = [p for p in (source, path) if p]
    if line:
        parts.append(f"line {line}")
    return ", ".join(parts)


def _readable_path(el: etree._Element) -> str:
    """Element path like /courseStructure/block[2]/au[1] for messages."""
    names: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        qname = etree.QName(node)
        name = qname.localname if qname.namespace == CMI5_NS else qname.text
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1 or qname.localname in _INDEXED:
                name += f"[{same.index(node) + 1}]"
        names.append(name)
        node = parent
    return "/" + "/".join(reversed(names))


def _resolve_libxml_path(root: etree._Element, path: str | None) -> etree._Element | None:
    """Find the element a libxml2 error path such as /*/*[2]/v:x points at."""
    segments = [s for s in (path or "").split("/") if s]
    if not segments:
        return None
    node = root
    for segment in segments[1:]:
        match = _LIBXML_SEGMENT_RE.fullmatch(segment)
        if match is None:
            return None
        _, name, index = match.groups()
        kids = [
            c
            for c in node
            if isinstance(c.tag, str) and (name == "*" or etree.QName(c).localname == name)
        ]
        position = int(index or 1) - 1
        if position >= len(kids):
            return None
        node = kids[position]
    return node


def _schema_error(root: etree._Element, source: str) -> CourseImportError:
    """Turn the first libxml2 schema error into a requirement-tagged, readable rejection."""
    entry = _schema().error_log[0]
    message = entry.message
    element = _resolve_libxml_path(root, entry.path)
    path = _readable_path(element) if element is not None else (entry.path or "")
    readable = message.replace(_Q, "")
    element_match = _ELEMENT_IN_MSG_RE.match(message)
    attribute = _ATTRIBUTE_IN_MSG_RE.search(message)
    value = _VALUE_IN_MSG_RE.search(message)
    where = _where(source, f"{path}/@{attribute.group(1)}" if attribute else path, entry.line)
    previous = element.getprevious() if element is not None else None
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()
    if (
        element is not None
        and previous is not None
        and etree.QName(previous).namespace != CMI5_NS
        and "not expected" in message
    ):
        return CourseImportError(
            "13.1.5.0-2",
            f"extension element {previous.tag!r} stands before the cmi5 element "
            f"'{etree.QName(element).localname}', which makes the course structure invalid: "
            f"{readable} Expected extension elements only after the last cmi5 child of their "
            "parent",
            _where(source, _readable_path(previous), previous.sourceline),
        )
    if element_match and element_match.group(1) != CMI5_NS:
        return CourseImportError(
            "13.1.5.0-2",
            f"extension element '{element_match.group(2)}' "
            f"(namespace {element_match.group(1) or 'none'!r}) makes the course structure "
            f"invalid: {readable} Expected extensions to be namespaced elements placed only at "
            "the XSD's extension points (after the last cmi5 child of courseStructure, course, "
            "objectives, block, au, title and description)",
            where,
        )
    if (
        element is not None
        and element.tag == f"{_Q}url"
        and attribute is None
        and "not expected" not in message
    ):
        # The url's value is bad (13.1.4.0-2); a url out of XSD order is 13.2.0.0-1 below.
        url = (element.text or "").strip()
        problem = _url_problem(url) or f"is rejected by the XSD ({readable})"
        return CourseImportError(
            "13.1.4.0-2", f"AU url {url!r} {problem}; expected a URL conforming to RFC 1738", where
        )
    if attribute and attribute.group(1) in _IRI_ATTRIBUTES and "xs:anyURI" in message:
        name = attribute.group(1)
        raw = (element.get(name) if element is not None else None) or ""
        owner = etree.QName(element).localname if element is not None else "element"
        problem = _iri_problem(raw.strip()) or f"is rejected by the XSD ({readable})"
        return CourseImportError(
            "3.0.0.0-1",
            f"{owner} {name} {raw.strip()!r} {problem}; expected a fully qualified IRI",
            where,
        )
    if attribute and attribute.group(1) == "masteryScore" and value:
        rule = (
            f"masteryScore {value.group(1)!r} is not allowed; expected a decimal between 0 and 1 "
            f"inclusive (XSD: {readable})"
        )
    elif attribute and attribute.group(1) == "authenticationMethod":
        rule = (
            "attribute 'authenticationMethod' is not part of the cmi5 Quartz course structure "
            f"(a Sandstone-era attribute); expected it removed ({readable})"
        )
    else:
        rule = f"course structure is not valid against the cmi5 CourseStructure.xsd: {readable}"
    return CourseImportError("13.2.0.0-1", rule, where)


def _parse_and_validate(data: bytes, source: str) -> etree._Element:
    """Well-formedness, DTD refusal, namespace and XSD checks before any semantic reading."""
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        raise CourseImportError(
            "13.2.0.0-1",
            f"the course structure is not well-formed XML ({exc.msg}); expected a well-formed "
            "cmi5.xml document",
            _where(source, "", line) + (f", column {column}" if column else ""),
        ) from None
    if root.getroottree().docinfo.doctype:
        raise CourseImportError(
            "13.2.0.0-1",
            f"the document declares {root.getroottree().docinfo.doctype!r}; expected no DOCTYPE "
            "(cmi5.xml is defined by the XSD alone, and the LMS refuses DTDs and entity "
            "declarations)",
            _where(source, "", 1),
        )
    qname = etree.QName(root)
    if qname.localname != "courseStructure" or qname.namespace != CMI5_NS:
        hint = ""
        if qname.namespace in LEGACY_NAMESPACES:
            hint = " (that is a pre-Quartz draft namespace)"
        raise CourseImportError(
            "13.2.0.0-1",
            f"root element is '{qname.localname}' in namespace {qname.namespace!r}{hint}; "
            f"expected 'courseStructure' in namespace {CMI5_NS!r}",
            _where(source, "/" + qname.localname, root.sourceline),
        )
    with _validate_lock:
        if not _schema().validate(root):
            raise _schema_error(root, source)
    return root


# --------------------------------------------------------------------------- value checks


def _iri_problem(value: str) -> str | None:
    """Why ``value`` is not a fully qualified IRI (cmi5 §3.0), or None if it is."""
    if not value:
        return "is empty"
    scheme = _SCHEME_RE.match(value)
    if scheme is None:
        return "has no scheme, so it is an IRI reference, not an absolute IRI"
    bad = _IRI_FORBIDDEN_RE.search(value)
    if bad:
        return f"contains {bad.group()!r} at position {bad.start()}, which an IRI cannot contain"
    if _BAD_PERCENT_RE.search(value):
        return "has a '%' that is not followed by two hex digits"
    if value.count("#") > 1:
        return "has more than one '#'"
    rest = value[scheme.end() :]
    if not rest:
        return "has nothing after its scheme"
    if rest.startswith("//") and scheme.group()[:-1].lower() in _HOST_SCHEMES:
        authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
        if not authority:
            return "has an empty host"
    return None


def _url_problem(url: str) -> str | None:
    """Why ``url`` does not conform to RFC 1738 (cmi5 §13.1.4 url), or None if it does."""
    if not url:
        return "is empty"
    scheme = _SCHEME_RE.match(url)
    host_span = (0, 0)
    if scheme and url[scheme.end() :].startswith("//"):
        start = scheme.end() + 2
        end = re.search(r"[/?#]|$", url[start:])
        host_span = (start, start + (end.start() if end else len(url) - start))
    for position, char in enumerate(url):
        if char in _URL_ALLOWED:
            continue
        if char in "[]" and host_span[0] <= position < host_span[1]:
            continue  # RFC 2732 IPv6 literal host
        kind = "the non-ASCII character" if ord(char) > 127 else "the character"
        return (
            f"contains {kind} {char!r} at position {position}, which RFC 1738 requires to be "
            "%-encoded"
        )
    if _BAD_PERCENT_RE.search(url):
        return "has a '%' that is not followed by two hex digits"
    if url.count("#") > 1:
        return "has more than one '#'"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"cannot be parsed as a URL ({exc})"
    if scheme:
        name = scheme.group()[:-1].lower()
        if not url[scheme.end() :]:
            return "has nothing after its scheme"
        if name in _HOST_SCHEMES:
            if not url[scheme.end() :].startswith("//"):
                return f"has no '//' after '{name}:'; RFC 1738 requires //<host>/<path>"
            if not parts.hostname:
                return "has no host"
            if port is None and parts.netloc.rsplit("]", 1)[-1].endswith(":"):
                return "has an empty port after ':'"
    return None


def _colliding_launch_names(url: str) -> list[str]:
    """cmi5 launch parameter names already used by the AU url's own query string."""
    names = {name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    return [name for name in LAUNCH_PARAMETER_NAMES if name in names]


def _is_under(url: str, base: str) -> bool:
    """Whether an absolute URL points inside the package's own content base."""
    u, b = urlsplit(url), urlsplit(base)
    return (
        u.scheme.lower() == b.scheme.lower()
        and u.netloc.lower() == b.netloc.lower()
        and u.path.startswith(b.path)
    )


def _langmap(el: etree._Element | None) -> dict[str, str]:
    """langstring children as lang -> trimmed text; first wins for a repeated lang."""
    out: dict[str, str] = {}
    if el is None:
        return out
    for child in el:
        if child.tag == f"{_Q}langstring":
            lang = (child.get("lang") or "").strip() or UNDETERMINED_LANG
            out.setdefault(lang, (child.text or "").strip())
    return out


def _children(el: etree._Element, path: str) -> Iterator[tuple[str, etree._Element, str]]:
    """cmi5-namespace child elements with their local name and readable path."""
    counts: dict[str, int] = {}
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(_Q):
            continue
        name = tag[len(_Q) :]
        counts[name] = counts.get(name, 0) + 1
        suffix = f"[{counts[name]}]" if name in _INDEXED else ""
        yield name, child, f"{path}/{name}{suffix}"


def _text_value(el: etree._Element | None) -> str | None:
    """Trimmed string value of an optional element (comments excluded), None when absent."""
    if el is None:
        return None
    return str(el.xpath("string()")).strip()


# --------------------------------------------------------------------------- semantic reading


class _Reader:
    """One pass over a schema-valid courseStructure, collecting ids to catch duplicates."""

    def __init__(
        self,
        source: str,
        *,
        packaged: bool,
        base_url: str | None,
        entries: Collection[str] | None,
    ) -> None:
        """Remember how AU urls must be judged: bare XML, or a package with known entries."""
        self.source = source
        self.packaged = packaged
        self.base_url = base_url if base_url is None or base_url.endswith("/") else base_url + "/"
        self.entries = entries
        self.activity_ids: dict[str, tuple[str, str]] = {}  # id -> (kind, where)
        self.objective_ids: dict[str, str] = {}

    def fail(self, requirement: str, rule: str, path: str, el: etree._Element) -> NoReturn:
        """Raise with this document's location format."""
        raise CourseImportError(requirement, rule, _where(self.source, path, el.sourceline))

    def iri(self, value: str, what: str, path: str, el: etree._Element) -> None:
        """Reject IRI references where cmi5 §3.0 wants a fully qualified IRI."""
        problem = _iri_problem(value)
        if problem:
            self.fail(
                "3.0.0.0-1",
                f"{what} {value!r} {problem}; expected a fully qualified IRI "
                "(scheme included, e.g. 'https://example.com/course/1')",
                path,
                el,
            )

    def activity_id(self, el: etree._Element, path: str, kind: str, requirement: str) -> str:
        """Trimmed, absolute, unique id of the course, a block or an AU."""
        value = (el.get("id") or "").strip()
        self.iri(value, f"{kind} id", f"{path}/@id", el)
        if value in self.activity_ids:
            other_kind, other_where = self.activity_ids[value]
            self.fail(
                requirement,
                f"{kind} id {value!r} is already used by the {other_kind} at {other_where}; "
                f"expected every {kind} id to be unique within the course structure",
                f"{path}/@id",
                el,
            )
        self.activity_ids[value] = (kind, _where("", path, el.sourceline))
        return value

    def read(self, root: etree._Element) -> CourseSpec:
        """Build the CourseSpec; the XSD already guaranteed the element order and presence."""
        course_id = ""
        title: dict[str, str] = {}
        description: dict[str, str] = {}
        objectives: tuple[ObjectiveSpec, ...] = ()
        children: list[AUSpec | BlockSpec] = []
        for name, el, path in _children(root, "/courseStructure"):
            if name == "course":
                course_id = self.activity_id(el, path, "course", "3.0.0.0-1")
                title = _langmap(el.find(f"{_Q}title"))
                description = _langmap(el.find(f"{_Q}description"))
            elif name == "objectives":
                objectives = self.read_objectives(el, path)
            elif name == "au":
                children.append(self.read_au(el, path))
            elif name == "block":
                children.append(self.read_block(el, path))
        return CourseSpec(course_id, title, description, tuple(children), objectives)

    def read_objectives(self, el: etree._Element, path: str) -> tuple[ObjectiveSpec, ...]:
        """Course-level objectives with unique absolute ids (13.1.3.0-1)."""
        out: list[ObjectiveSpec] = []
        for name, obj, obj_path in _children(el, path):
            if name != "objective":
                continue
            value = (obj.get("id") or "").strip()
            self.iri(value, "objective id", f"{obj_path}/@id", obj)
            if value in self.objective_ids:
                self.fail(
                    "13.1.3.0-1",
                    f"objective id {value!r} is already used by the objective at "
                    f"{self.objective_ids[value]}; expected every objective id to be unique",
                    f"{obj_path}/@id",
                    obj,
                )
            self.objective_ids[value] = _where("", obj_path, obj.sourceline)
            out.append(
                ObjectiveSpec(
                    value,
                    _langmap(obj.find(f"{_Q}title")),
                    _langmap(obj.find(f"{_Q}description")),
                )
            )
        return tuple(out)

    def objective_refs(self, el: etree._Element, path: str) -> tuple[str, ...]:
        """idrefs of a block's or AU's objectives; each must name a declared objective."""
        refs_el = el.find(f"{_Q}objectives")
        if refs_el is None:
            return ()
        out: list[str] = []
        for name, ref, ref_path in _children(refs_el, f"{path}/objectives"):
            if name != "objective":
                continue
            idref = (ref.get("idref") or "").strip()
            if idref not in self.objective_ids:
                declared = ", ".join(repr(i) for i in list(self.objective_ids)[:5]) or "none"
                self.fail(
                    "4.4.0.0-1",
                    f"objective idref {idref!r} names no objective declared in "
                    f"/courseStructure/objectives; expected one of the declared ids ({declared})",
                    f"{ref_path}/@idref",
                    ref,
                )
            out.append(idref)
        return tuple(out)

    def read_block(self, el: etree._Element, path: str) -> BlockSpec:
        """A block and, recursively, its AUs and nested blocks."""
        block_id = self.activity_id(el, path, "block", "13.1.2.0-1")
        objectives = self.objective_refs(el, path)
        children: list[AUSpec | BlockSpec] = []
        for name, child, child_path in _children(el, path):
            if name == "au":
                children.append(self.read_au(child, child_path))
            elif name == "block":
                children.append(self.read_block(child, child_path))
        return BlockSpec(
            block_id,
            _langmap(el.find(f"{_Q}title")),
            _langmap(el.find(f"{_Q}description")),
            tuple(children),
            objectives,
        )

    def mastery_score(self, el: etree._Element, path: str) -> float | None:
        """masteryScore as a float, refusing more than 4 decimal places (cmi5 §13.1.4)."""
        raw = el.get("masteryScore")
        if raw is None:
            return None
        text = raw.strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
            self.fail(
                "13.2.0.0-1",
                f"masteryScore {raw!r} is not allowed; expected a decimal between 0 and 1 "
                "inclusive",
                f"{path}/@masteryScore",
                el,
            )
        exponent = value.normalize().as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if decimals > MASTERY_SCORE_MAX_DECIMALS:
            self.fail(
                "4.4.0.0-1",
                f"masteryScore {text!r} has {decimals} decimal places; expected at most "
                f"{MASTERY_SCORE_MAX_DECIMALS} (cmi5 §13.1.4 masteryScore)",
                f"{path}/@masteryScore",
                el,
            )
        return float(value)

    def launch_url(self, el: etree._Element, path: str) -> str:
        """The AU url: RFC 1738, no cmi5 parameter names, and the §14 absolute/relative rules."""
        url_el = el.find(f"{_Q}url")
        url = (url_el.text or "").strip() if url_el is not None else ""
        url_path = f"{path}/url"
        at = url_el if url_el is not None else el
        problem = _url_problem(url)
        if problem:
            self.fail(
                "13.1.4.0-2",
                f"AU url {url!r} {problem}; expected a URL conforming to RFC 1738",
                url_path,
                at,
            )
        collisions = _colliding_launch_names(url)
        if collisions:
            self.fail(
                "8.1.0.0-6",
                f"AU url {url!r} already has the query parameter(s) "
                f"{', '.join(repr(n) for n in collisions)}, which the LMS adds at launch; "
                f"expected the url's own query to use none of {', '.join(LAUNCH_PARAMETER_NAMES)}",
                url_path,
                at,
            )
        if _SCHEME_RE.match(url):
            problem = au_url_problem(url)
            if problem:
                self.fail(
                    "13.1.4.0-2",
                    f"AU url {url!r} {problem}; expected a URL the LMS can launch",
                    url_path,
                    at,
                )
            if self.packaged and self.base_url and _is_under(url, self.base_url):
                self.fail(
                    "14.1.0.0-3",
                    f"AU url {url!r} is a fully qualified URL into the package's own content "
                    f"({self.base_url}); expected media included in the ZIP to be referenced "
                    "by a relative URL",
                    url_path,
                    at,
                )
            return url
        if not self.packaged:
            self.fail(
                "14.2.0.0-1",
                f"AU url {url!r} is relative, but this course structure came without a ZIP "
                "package; expected a fully qualified URL (e.g. 'https://host/path/index.html')",
                url_path,
                at,
            )
        self.check_packaged_target(url, url_path, at)
        return urljoin(self.base_url, url) if self.base_url else url

    def check_packaged_target(self, url: str, url_path: str, at: etree._Element) -> None:
        """A relative url must name a file inside the ZIP (14.1.0.0-4 otherwise)."""
        raw_path = urlsplit(url).path
        target = posixpath.normpath(unquote(raw_path)) if raw_path else ""
        if url.startswith("//"):
            reason = "is a network-path reference (starts with '//'), so it names no package file"
        elif raw_path.startswith("/"):
            reason = "starts with '/', so it points at the LMS host's root, not into the package"
        elif target in ("", "."):
            reason = "names no file"
        elif target == ".." or target.startswith("../"):
            reason = "climbs out of the package root with '..'"
        elif self.entries is not None and target not in self.entries:
            reason = f"names {target!r}, which is not a file in the ZIP package"
        else:
            return
        self.fail(
            "14.1.0.0-4",
            f"relative AU url {url!r} {reason}; expected a relative URL to a file in the ZIP, "
            "or a fully qualified URL for media outside the package",
            url_path,
            at,
        )

    def read_au(self, el: etree._Element, path: str) -> AUSpec:
        """One AU with defaults applied (moveOn NotApplicable, launchMethod AnyWindow)."""
        au_id = self.activity_id(el, path, "AU", "13.1.4.0-1")
        activity_type = el.get("activityType")
        if activity_type is not None:
            activity_type = activity_type.strip()
            self.iri(activity_type, "AU activityType", f"{path}/@activityType", el)
        mastery = self.mastery_score(el, path)
        objectives = self.objective_refs(el, path)
        url = self.launch_url(el, path)
        return AUSpec(
            id=au_id,
            title=_langmap(el.find(f"{_Q}title")),
            description=_langmap(el.find(f"{_Q}description")),
            url=url,
            move_on=(el.get("moveOn") or DEFAULT_MOVE_ON).strip(),
            mastery_score=mastery,
            launch_method=(el.get("launchMethod") or DEFAULT_LAUNCH_METHOD).strip(),
            launch_parameters=_text_value(el.find(f"{_Q}launchParameters")),
            entitlement_key=_text_value(el.find(f"{_Q}entitlementKey")),
            activity_type=activity_type,
            objectives=objectives,
        )


def _parse(
    data: bytes,
    *,
    source: str,
    base_url: str | None,
    packaged: bool,
    entries: Collection[str] | None,
) -> CourseSpec:
    """Shared core of parse_course_xml and import_package."""
    root = _parse_and_validate(data, source)
    reader = _Reader(source, packaged=packaged, base_url=base_url, entries=entries)
    return reader.read(root)


def parse_course_xml(
    data: bytes, *, base_url: str | None = None, packaged: bool = False
) -> CourseSpec:
    """Parse and check one cmi5.xml.

    ``packaged=False`` (a bare XML upload): every AU url must be fully qualified (14.2.0.0-1).
    ``packaged=True`` (the cmi5.xml of a ZIP): relative urls are allowed and resolved against
    ``base_url`` (a trailing '/' is added if missing); without ``base_url`` they stay relative.
    Whether a relative url names a file in the ZIP is checked only by ``import_package``.
    """
    return _parse(
        data, source=PACKAGE_ROOT_FILE, base_url=base_url, packaged=packaged, entries=None
    )


# --------------------------------------------------------------------------- packages


def _looks_like_xml(data: bytes) -> bool:
    """XML starts with '<' after an optional BOM and whitespace (UTF-16 BOM counts as XML)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = data[:65536]
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    return head.lstrip(b" \t\r\n")[:1] == b"<"


def _member_problem(name: str) -> str | None:
    """Why a ZIP member name is unsafe to serve (zip slip) or breaks APPNOTE 4.4.17."""
    if not name:
        return "has an empty name"
    if "\\" in name:
        return "uses '\\'; the ZIP specification (APPNOTE 4.4.17) requires '/' separators"
    if name.startswith("/"):
        return "is an absolute path; APPNOTE 4.4.17 forbids a leading '/'"
    if _DRIVE_RE.match(name):
        return "starts with a drive letter; APPNOTE 4.4.17 forbids it"
    if ".." in name.split("/"):
        return "has a '..' segment that would escape the package root (zip slip)"
    return None


class PackageTooLarge(CourseImportError):
    """The package is beyond the fake LMS's own bound (not a cmi5 rule): HTTP 413."""


def _size_error(zip_name: str, limit: int, what: str) -> CourseImportError:
    """The implementation bound on package size, reported like any other rejection."""
    return PackageTooLarge(
        "14.0.0.0-1",
        f"the package {what}; the fake LMS accepts at most {limit} bytes uncompressed per "
        f"package and at most {MAX_ZIP_ENTRIES} entries (an implementation bound, not a cmi5 "
        "rule: serve --package-max-mib)",
        zip_name,
    )


def _read_zip(
    data: bytes, zip_name: str, max_uncompressed: int, declared_zip: bool = False
) -> dict[str, bytes]:
    """All regular files of a safe ZIP, keyed by normalised path, within the size bound.

    An unreadable upload is 14.0.0.0-1 (not a supported package kind), or 14.1.0.0-1 when the
    uploader declared it a ZIP package (the package is not in ZIP format)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise CourseImportError(
            "14.1.0.0-1" if declared_zip else "14.0.0.0-1",
            f"the upload is not a readable Zip32/Zip64 archive ({exc}); expected a ZIP course "
            "package or a cmi5.xml course structure",
            zip_name,
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _size_error(zip_name, max_uncompressed, f"has {len(infos)} entries")
        declared = 0
        members: list[tuple[str, zipfile.ZipInfo]] = []
        seen: set[str] = set()
        for info in infos:
            problem = _member_problem(info.filename)
            if problem:
                raise CourseImportError(
                    "14.1.0.0-1",
                    f"ZIP entry {info.filename!r} {problem}; expected relative paths inside the "
                    "package root",
                    f"{zip_name}, entry {info.filename!r}",
                )
            name = posixpath.normpath(info.filename)
            if name in seen and not info.is_dir():
                raise CourseImportError(
                    "14.1.0.0-1",
                    f"ZIP entry {info.filename!r} appears more than once; expected each path once",
                    f"{zip_name}, entry {info.filename!r}",
                )
            if info.is_dir():
                continue
            seen.add(name)
            if info.flag_bits & 0x1:
                raise CourseImportError(
                    "14.1.0.0-1",
                    f"ZIP entry {info.filename!r} is encrypted; expected an unencrypted package "
                    "the LMS can serve",
                    f"{zip_name}, entry {info.filename!r}",
                )
            declared += info.file_size
            if declared > max_uncompressed:
                raise _size_error(zip_name, max_uncompressed, "declares more bytes than allowed")
            members.append((name, info))
        files: dict[str, bytes] = {}
        total = 0
        for name, info in members:
            try:
                with archive.open(info) as handle:
                    content = handle.read(max_uncompressed - total + 1)
            except _MEMBER_READ_ERRORS as exc:
                raise CourseImportError(
                    "14.1.0.0-1",
                    f"ZIP entry {info.filename!r} cannot be extracted ({exc}); expected entries "
                    "stored or deflated as the ZIP specification (APPNOTE) defines",
                    f"{zip_name}, entry {info.filename!r}",
                ) from None
            total += len(content)
            if total > max_uncompressed:
                raise _size_error(zip_name, max_uncompressed, "expands beyond the bound")
            files[name] = content
    return files


def import_package(
    data: bytes,
    filename: str = "",
    *,
    base_url: str | None = None,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
    declared_zip: bool = False,
) -> tuple[CourseSpec, dict[str, bytes]]:
    """Import an upload that is either a bare cmi5.xml or a Zip32/Zip64 course package.

    XML is recognised by a leading '<' (after an optional BOM and whitespace); anything else
    must be a ZIP with ``cmi5.xml`` at its root (14.1.0.0-2). Returns the course and the ZIP's
    other files (normalised path -> bytes; empty for bare XML) so the LMS can serve packaged
    content. Relative AU urls are resolved against ``base_url`` when given. ``declared_zip``
    (the uploader said application/zip or *.zip) makes an unreadable archive 14.1.0.0-1.
    """
    if _looks_like_xml(data):
        course = _parse(
            data,
            source=filename or PACKAGE_ROOT_FILE,
            base_url=base_url,
            packaged=False,
            entries=None,
        )
        return course, {}
    zip_name = filename or "package.zip"
    files = _read_zip(data, zip_name, max_uncompressed, declared_zip)
    structure = files.pop(PACKAGE_ROOT_FILE, None)
    if structure is None:
        near = sorted(n for n in files if posixpath.basename(n).lower() == PACKAGE_ROOT_FILE)
        hint = f"; found {near[0]!r} instead" if near else ""
        raise CourseImportError(
            "14.1.0.0-2",
            f"the ZIP package has no '{PACKAGE_ROOT_FILE}' at its root{hint}; expected the course "
            f"structure file named exactly '{PACKAGE_ROOT_FILE}' in the root directory",
            zip_name,
        )
    course = _parse(
        structure,
        source=f"{zip_name}/{PACKAGE_ROOT_FILE}",
        base_url=base_url,
        packaged=True,
        entries=files.keys(),
    )
    return course, files
