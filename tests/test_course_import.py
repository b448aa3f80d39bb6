"""cmi5 course import (cmi5 §3, §13, §14): each rejection next to the nearest package that passes."""

from __future__ import annotations

import io
import struct
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from fake_lms.cmi5.course import (
    CMI5_NS,
    MAX_UNCOMPRESSED_BYTES,
    AUSpec,
    BlockSpec,
    CourseImportError,
    CourseSpec,
    PackageTooLarge,
    import_package,
    parse_course_xml,
)

DATA = Path(__file__).parent / "data" / "courses"
BASE = "https://lms.test/content/course-1/"
COURSE_ID = "https://weare.example.com/courses/c1"


def langs(text: str = "Text") -> str:
    """A title/description body with one en-US langstring."""
    return f'<langstring lang="en-US">{text}</langstring>'


def au(
    au_id: str = "https://weare.example.com/au/1",
    url: str = "https://content.weare.example.com/au1/index.html",
    *,
    attrs: str = "",
    refs: str = "",
    tail: str = "",
    between: str = "",
) -> str:
    """One AU element; ``refs`` is an objectives body, ``tail`` goes after url and friends."""
    objectives = f"<objectives>{refs}</objectives>" if refs else ""
    return (
        f'<au id="{au_id}" {attrs}><title>{langs("AU")}</title>{between}'
        f"<description>{langs('AU desc')}</description>{objectives}"
        f"<url>{url}</url>{tail}</au>"
    )


def block(block_id: str, *children: str, refs: str = "") -> str:
    """One block element around ``children``."""
    objectives = f"<objectives>{refs}</objectives>" if refs else ""
    return (
        f'<block id="{block_id}"><title>{langs("Block")}</title>'
        f"<description>{langs('Block desc')}</description>{objectives}{''.join(children)}</block>"
    )


def objective(obj_id: str) -> str:
    """One course-level objective declaration."""
    return f'<objective id="{obj_id}"><title>{langs()}</title><description>{langs()}</description></objective>'


def course(
    *children: str,
    course_id: str = COURSE_ID,
    objectives: str = "",
    course_tail: str = "",
    root_tail: str = "",
    ns: str = CMI5_NS,
    extra_ns: str = 'xmlns:v="https://vendor.example.com/ext"',
) -> bytes:
    """A full cmi5.xml document; defaults to one valid AU."""
    body = "".join(children) or au()
    objs = f"<objectives>{objectives}</objectives>" if objectives else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<courseStructure xmlns="{ns}" {extra_ns}>\n'
        f'<course id="{course_id}"><title>{langs("Course")}</title>'
        f"<description>{langs('Course desc')}</description>{course_tail}</course>\n"
        f"{objs}{body}{root_tail}</courseStructure>\n"
    ).encode()


def make_zip(files: dict[str, bytes | str], **kwargs: object) -> bytes:
    """A ZIP archive in memory holding ``files``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content, **kwargs)  # type: ignore[arg-type]
    return buf.getvalue()


def rejects(requirement: str, data: bytes, **kwargs: object) -> CourseImportError:
    """Assert parse_course_xml refuses ``data`` with ``requirement``."""
    with pytest.raises(CourseImportError) as info:
        parse_course_xml(data, **kwargs)  # type: ignore[arg-type]
    assert info.value.requirement == requirement, str(info.value)
    assert requirement in str(info.value)
    return info.value


def package_rejects(requirement: str, data: bytes, **kwargs: object) -> CourseImportError:
    """Assert import_package refuses ``data`` with ``requirement``."""
    with pytest.raises(CourseImportError) as info:
        import_package(data, "course.zip", **kwargs)  # type: ignore[arg-type]
    assert info.value.requirement == requirement, str(info.value)
    return info.value


# --------------------------------------------------------------------------- model


def test_minimal_course_gets_spec_defaults() -> None:
    """An AU without optional attributes gets moveOn NotApplicable and launchMethod AnyWindow."""
    spec = parse_course_xml((DATA / "minimal.xml").read_bytes())
    assert spec.id == "https://weare.example.com/courses/minimal"
    assert spec.title == {"en-US": "Minimal course"}
    (only,) = spec.aus()
    assert only == AUSpec(
        id="https://weare.example.com/courses/minimal/au/1",
        title={"en-US": "The only AU"},
        description={"en-US": "Launches an external page."},
        url="https://content.weare.example.com/minimal/index.html",
        move_on="NotApplicable",
        mastery_score=None,
        launch_method="AnyWindow",
        launch_parameters=None,
        entitlement_key=None,
        activity_type=None,
    )


def test_nested_course_tree_order_and_values() -> None:
    """Blocks nest, AUs come depth-first in document order (AU number N = index N, 0-based)."""
    spec = parse_course_xml((DATA / "nested.xml").read_bytes())
    assert isinstance(spec, CourseSpec)
    assert [a.id.rsplit("/", 1)[1] for a in spec.aus()] == ["a", "b", "c"]
    assert [b.id.rsplit("/", 2)[1:] for b in spec.blocks()] == [["blocks", "1"], ["1", "1"]]
    first, second, third = spec.aus()
    assert first.move_on == "CompletedAndPassed"
    assert first.mastery_score == 0.8
    assert first.launch_method == "OwnWindow"
    assert first.activity_type == "http://adlnet.gov/expapi/activities/lesson"
    assert first.launch_parameters == '{"start": 1, "quizMode": true}'
    assert first.entitlement_key == "xyz-123-9999"
    assert first.objectives == (
        "https://weare.example.com/objectives/read",
        "https://weare.example.com/objectives/tell",
    )
    assert first.url == "https://content.weare.example.com/stories/a/index.html?lang=en&mode=quiz"
    assert second.description == {"und": "No language given"}
    assert third.mastery_score == 1.0
    assert third.url == "https://content.weare.example.com/stories/c/index.html"
    assert third.launch_parameters == ""  # present but empty is not absent
    assert spec.title == {"en-US": "Stories", "fr-FR": "Histoires"}
    assert [o.id.rsplit("/", 1)[1] for o in spec.objectives] == ["read", "tell"]
    top_block = spec.children[0]
    assert isinstance(top_block, BlockSpec)
    assert isinstance(top_block.children[1], BlockSpec)


def test_whitespace_is_trimmed_from_every_value() -> None:
    """13.1.0.0-1: leading/trailing whitespace is removed on import."""
    doc = course(
        au(
            "\n  https://weare.example.com/au/ws  \n",
            "\n   https://content.weare.example.com/x.html   \n",
            attrs='masteryScore=" 0.5 " activityType="  https://types.example.com/t  "',
            tail="<launchParameters>\n  a=1  \n</launchParameters>"
            "<entitlementKey>  key  </entitlementKey>",
        ).replace(langs("AU"), '<langstring lang=" en-US ">\n  Spaced title \n</langstring>'),
        course_id="  https://weare.example.com/courses/ws \t",
    )
    spec = parse_course_xml(doc)
    (unit,) = spec.aus()
    assert spec.id == "https://weare.example.com/courses/ws"
    assert unit.id == "https://weare.example.com/au/ws"
    assert unit.url == "https://content.weare.example.com/x.html"
    assert unit.title == {"en-US": "Spaced title"}
    assert unit.mastery_score == 0.5
    assert unit.activity_type == "https://types.example.com/t"
    assert (unit.launch_parameters, unit.entitlement_key) == ("a=1", "key")


def test_error_carries_requirement_rule_and_where() -> None:
    """Messages name the offending value, the expectation and the requirement id."""
    err = rejects("13.1.4.0-2", course(au(url="https://example.com/a b.html")))
    assert isinstance(err, ValueError)
    assert "'https://example.com/a b.html'" in err.rule
    assert "expected" in err.rule
    assert "/courseStructure/au[1]/url" in err.where
    assert "line" in err.where
    assert err.to_dict()["requirement"] == "13.1.4.0-2"


# --------------------------------------------------------------------------- XML and XSD


def test_not_well_formed_xml_is_rejected() -> None:
    """A broken document never reaches the XSD; the well-formed one passes."""
    good = course()
    parse_course_xml(good)
    err = rejects("13.2.0.0-1", good.replace(b"</course>", b"</cours>"))
    assert "well-formed" in err.rule


def test_missing_required_element_fails_the_xsd() -> None:
    """13.2.0.0-1: an AU without url is schema-invalid."""
    parse_course_xml(course())
    err = rejects("13.2.0.0-1", course(au().replace("<url>", "<!--").replace("</url>", "-->")))
    assert "CourseStructure.xsd" in err.rule
    assert "/courseStructure/au[1]" in err.where


def test_unknown_move_on_fails_the_xsd() -> None:
    """moveOn is an enumeration; values are case-sensitive."""
    parse_course_xml(course(au(attrs='moveOn="CompletedOrPassed"')))
    err = rejects("13.2.0.0-1", course(au(attrs='moveOn="completed"')))
    assert "'completed'" in err.rule


def test_cmi5_element_the_xsd_does_not_know_is_rejected() -> None:
    """An invented element in the cmi5 namespace is not an extension: plain XSD failure."""
    rejects("13.2.0.0-1", course(au(tail="<prerequisites/>")))


def test_sandstone_authentication_method_is_named() -> None:
    """authenticationMethod is not in the Quartz schema; the message says why."""
    err = rejects("13.2.0.0-1", course(au(attrs='authenticationMethod="Basic"')))
    assert "authenticationMethod" in err.rule


@pytest.mark.parametrize("namespace", ["http://www.adlnet.gov/cmi5/CourseStructure.xsd", ""])
def test_wrong_root_namespace_is_rejected(namespace: str) -> None:
    """Only the v1 namespace validates; the message names the expected one."""
    err = rejects("13.2.0.0-1", course(ns=namespace))
    assert CMI5_NS in err.rule


def test_doctype_and_entities_are_refused() -> None:
    """No DTD processing (XXE/billion laughs); the same document without DOCTYPE passes."""
    good = course()
    parse_course_xml(good)
    evil = good.replace(
        b"<courseStructure",
        b'<!DOCTYPE courseStructure [<!ENTITY x "boom">]>\n<courseStructure',
        1,
    )
    err = rejects("13.2.0.0-1", evil)
    assert "DOCTYPE" in err.rule


# --------------------------------------------------------------------------- masteryScore


@pytest.mark.parametrize("score", ["1.5", "-0.1", "1.00001", "high"])
def test_mastery_score_outside_zero_to_one_is_rejected(score: str) -> None:
    """masteryScore is a decimal in 0..1."""
    err = rejects("13.2.0.0-1", course(au(attrs=f'masteryScore="{score}"')))
    assert repr(score) in err.rule


@pytest.mark.parametrize(("score", "value"), [("0", 0.0), ("1", 1.0), ("0.8500", 0.85)])
def test_mastery_score_bounds_are_inclusive(score: str, value: float) -> None:
    """The nearest passing values: both bounds and trailing zeros."""
    assert parse_course_xml(course(au(attrs=f'masteryScore="{score}"'))).aus()[0].mastery_score == (
        value
    )


def test_mastery_score_with_more_than_four_decimals_is_rejected() -> None:
    """§13.1.4: up to 4 decimal places; 0.1234 passes, 0.12345 does not."""
    parse_course_xml(course(au(attrs='masteryScore="0.1234"')))
    err = rejects("4.4.0.0-1", course(au(attrs='masteryScore="0.12345"')))
    assert "'0.12345'" in err.rule


# --------------------------------------------------------------------------- IRIs (3.0.0.0-1)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda i: course(course_id=i), id="course"),
        pytest.param(lambda i: course(block(i, au())), id="block"),
        pytest.param(lambda i: course(au(au_id=i)), id="au"),
        pytest.param(lambda i: course(objectives=objective(i), course_tail=""), id="objective"),
        pytest.param(lambda i: course(au(attrs=f'activityType="{i}"')), id="activityType"),
    ],
)
@pytest.mark.parametrize("bad", ["course-1", "/ids/course-1", "//example.com/x", "#frag"])
def test_iri_references_are_rejected(make: Callable[[str], bytes], bad: str) -> None:
    """Ids must be fully qualified IRIs; the absolute form of the same id passes."""
    parse_course_xml(make("https://weare.example.com/ids/x-1"))
    err = rejects("3.0.0.0-1", make(bad))
    assert repr(bad) in err.rule


@pytest.mark.parametrize(
    "good", ["urn:uuid:7f3f1a2e-0000-4000-8000-000000000001", "tag:we.are,2024:c"]
)
def test_non_http_absolute_iris_pass(good: str) -> None:
    """Any scheme makes an absolute IRI."""
    assert parse_course_xml(course(course_id=good)).id == good


def test_iri_with_a_space_is_rejected() -> None:
    """A space inside an id is not an IRI character."""
    rejects("3.0.0.0-1", course(au(au_id="https://weare.example.com/au/one two")))


# --------------------------------------------------------------------------- unique ids


def test_duplicate_au_ids_are_rejected() -> None:
    """13.1.4.0-1: AU ids are unique within the course structure."""
    first, second = "https://weare.example.com/au/1", "https://weare.example.com/au/2"
    parse_course_xml(course(au(first), au(second)))
    err = rejects(
        "13.1.4.0-1", course(au(first), block("https://weare.example.com/b/1", au(first)))
    )
    assert repr(first) in err.rule
    assert "/courseStructure/block[1]/au[1]" in err.where


def test_duplicate_block_ids_are_rejected() -> None:
    """13.1.2.0-1: block ids are unique, nested or not."""
    b1, b2 = "https://weare.example.com/b/1", "https://weare.example.com/b/2"
    inner = au("https://weare.example.com/au/2")
    parse_course_xml(course(block(b1, au(), block(b2, inner))))
    rejects("13.1.2.0-1", course(block(b1, au(), block(b1, inner))))


def test_block_id_equal_to_course_id_is_rejected() -> None:
    """Block ids are globally unique, so they cannot reuse the course id."""
    rejects("13.1.2.0-1", course(block(COURSE_ID, au())))


def test_au_id_equal_to_block_id_is_rejected() -> None:
    """AU ids are unique within the whole structure, blocks included."""
    shared = "https://weare.example.com/shared"
    rejects("13.1.4.0-1", course(block(shared, au(shared))))


def test_duplicate_objective_ids_are_rejected() -> None:
    """13.1.3.0-1: objective ids are unique."""
    o1, o2 = "https://weare.example.com/obj/1", "https://weare.example.com/obj/2"
    parse_course_xml(course(objectives=objective(o1) + objective(o2)))
    rejects("13.1.3.0-1", course(objectives=objective(o1) + objective(o1)))


def test_objective_idref_must_name_a_declared_objective() -> None:
    """An objectives reference to nothing is non-conforming course structure data (4.4.0.0-1)."""
    o1 = "https://weare.example.com/obj/1"
    ok = course(au(refs=f'<objective idref="{o1}"/>'), objectives=objective(o1))
    assert parse_course_xml(ok).aus()[0].objectives == (o1,)
    err = rejects(
        "4.4.0.0-1",
        course(
            au(refs='<objective idref="https://weare.example.com/obj/9"/>'),
            objectives=objective(o1),
        ),
    )
    assert "obj/9" in err.rule


# --------------------------------------------------------------------------- AU url


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a b.html",
        "https://exa mple.com/",
        "https://example.com/caf\u00e9.html",
        "https://example.com/%zz",
        "https://example.com/{id}",
        "https:/example.com/x",
        "https://example.com:port/x",
        "https:///x.html",
        "https://example.com/a#b#c",
    ],
)
def test_url_not_conforming_to_rfc1738_is_rejected(url: str) -> None:
    """13.1.4.0-2: the url must be an RFC 1738 URL."""
    err = rejects("13.1.4.0-2", course(au(url=url)))
    assert repr(url) in err.rule


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a%20b.html",
        "https://example.com/caf%C3%A9.html",
        "https://[::1]:8080/x.html",
        "https://example.com/~user/x.html?a=1&amp;b=2#top",
        "http://example.com:8443/x",
    ],
)
def test_conforming_urls_pass(url: str) -> None:
    """The nearest passing urls: escapes, IPv6 host, tilde, plain http with a port."""
    assert parse_course_xml(course(au(url=url))).aus()[0].url == url.replace("&amp;", "&")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript://example.com/%0Aalert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "myapp://content/launch",
    ],
)
def test_url_the_lms_cannot_launch_is_rejected_as_post_api_aus_rejects_it(url: str) -> None:
    """13.1.4.0-2: the same rule as an AU registered by hand (fake_lms/cmi5/au_url.py): an
    absolute AU url is http(s) with a host; course import used to accept `javascript:`."""
    err = rejects("13.1.4.0-2", course(au(url=url)))
    assert "expected http or https" in err.rule


@pytest.mark.parametrize("name", ["endpoint", "fetch", "actor", "registration", "activityId"])
def test_url_query_using_a_launch_parameter_name_is_rejected(name: str) -> None:
    """8.1.0.0-6: the AU url's own query must not collide with the five cmi5 names."""
    url = f"https://example.com/au.html?mode=quiz&amp;{name}=x"
    err = rejects("8.1.0.0-6", course(au(url=url)))
    assert repr(name) in err.rule


def test_encoded_launch_parameter_name_is_still_a_collision() -> None:
    """%61ctor decodes to actor at launch, so it collides too."""
    rejects("8.1.0.0-6", course(au(url="https://example.com/au.html?%61ctor=x")))


@pytest.mark.parametrize(
    "query", ["?Endpoint=1", "?mode=quiz&amp;lang=en", "?x=1#actor=2", "?myactor=1"]
)
def test_similar_but_different_query_names_pass(query: str) -> None:
    """Names are case-sensitive and whole; a fragment is not the query."""
    parse_course_xml(course(au(url=f"https://example.com/au.html{query}")))


def test_relative_url_in_bare_xml_is_rejected() -> None:
    """14.2.0.0-1: without a ZIP every url is fully qualified."""
    parse_course_xml(course(au(url="https://content.example.com/index.html")))
    err = rejects("14.2.0.0-1", course(au(url="index.html")))
    assert "'index.html'" in err.rule


def test_relative_url_allowed_when_packaged() -> None:
    """packaged=True accepts relative urls and resolves them against base_url."""
    doc = course(au(url="au1/index.html?mode=1"))
    spec = parse_course_xml(doc, packaged=True, base_url=BASE.rstrip("/"))
    assert spec.aus()[0].url == BASE + "au1/index.html?mode=1"
    assert parse_course_xml(doc, packaged=True).aus()[0].url == "au1/index.html?mode=1"


# --------------------------------------------------------------------------- extensions


def test_extensions_at_extension_points_pass() -> None:
    """13.1.5: namespaced elements and attributes where the XSD allows them."""
    doc = course(
        au(tail="<v:keyword>rocks</v:keyword>", attrs='v:level="2"'),
        course_tail="<v:publisher>We Are</v:publisher>",
        root_tail="<v:keywords><v:keyword/></v:keywords>",
    )
    assert len(parse_course_xml(doc).aus()) == 1


def test_extension_element_out_of_place_is_rejected() -> None:
    """13.1.5.0-2: extensions must keep the XML valid (not between title and description)."""
    err = rejects("13.1.5.0-2", course(au(between="<v:keyword>rocks</v:keyword>")))
    assert "keyword" in err.rule


def test_unqualified_extension_element_is_rejected() -> None:
    """Extensions must be namespaced; a no-namespace element is not allowed even at the end."""
    rejects("13.1.5.0-2", course(au(tail='<keyword xmlns="">rocks</keyword>')))


# --------------------------------------------------------------------------- size


def test_course_with_more_than_1000_aus_imports_fast() -> None:
    """6.1.0.0-2: over 1000 AUs must import; keep it well under a second."""
    blocks = [
        block(
            f"https://weare.example.com/b/{b}",
            *(
                au(f"https://weare.example.com/au/{b}-{i}", f"https://c.example.com/{b}/{i}.html")
                for i in range(120)
            ),
        )
        for b in range(10)
    ]
    doc = course(*blocks, au("https://weare.example.com/au/last"))
    started = time.perf_counter()
    spec = parse_course_xml(doc)
    elapsed = time.perf_counter() - started
    assert len(spec.aus()) == 1201
    assert spec.aus()[1200].id == "https://weare.example.com/au/last"
    assert elapsed < 1.0, f"import took {elapsed:.2f}s"


# --------------------------------------------------------------------------- packages


def test_bare_xml_upload_with_bom_and_whitespace() -> None:
    """import_package sniffs XML after a BOM and leading whitespace; no files come back."""
    without_declaration = course().split(b"\n", 1)[1]
    spec, files = import_package(b"\xef\xbb\xbf\n  " + without_declaration, "cmi5.xml")
    assert spec.id == COURSE_ID
    assert files == {}
    assert import_package(b"\xef\xbb\xbf" + course())[0].id == COURSE_ID


def test_whitespace_before_the_xml_declaration_is_not_well_formed() -> None:
    """The XML declaration must come first, so the upload is sniffed as XML but refused."""
    with pytest.raises(CourseImportError) as info:
        import_package(b"\n  " + course(), "cmi5.xml")
    assert info.value.requirement == "13.2.0.0-1"


def test_bare_xml_upload_still_needs_absolute_urls() -> None:
    """import_package applies 14.2.0.0-1 to bare XML."""
    with pytest.raises(CourseImportError) as info:
        import_package(course(au(url="index.html")), "course.xml")
    assert info.value.requirement == "14.2.0.0-1"
    assert info.value.where.startswith("course.xml")


def test_zip_package_resolves_relative_urls_and_returns_files() -> None:
    """Relative urls name files in the ZIP; absolute ones may point elsewhere (a mix is fine)."""
    doc = course(
        au(url="au1/index.html?mode=quiz"),
        au("https://weare.example.com/au/2", "https://cdn.example.com/au2/index.html"),
        au("https://weare.example.com/au/3", "my%20page.html"),
    )
    data = make_zip(
        {
            "cmi5.xml": doc,
            "au1/index.html": "<html>1</html>",
            "au1/app.js": "x",
            "my page.html": "p",
        }
    )
    spec, files = import_package(data, "course.zip", base_url=BASE)
    assert [a.url for a in spec.aus()] == [
        BASE + "au1/index.html?mode=quiz",
        "https://cdn.example.com/au2/index.html",
        BASE + "my%20page.html",
    ]
    assert files == {"au1/index.html": b"<html>1</html>", "au1/app.js": b"x", "my page.html": b"p"}


def test_zip_without_base_url_keeps_relative_urls() -> None:
    """Without base_url the relative url is returned as written."""
    data = make_zip({"cmi5.xml": course(au(url="./index.html")), "index.html": "x"})
    spec, _ = import_package(data)
    assert spec.aus()[0].url == "./index.html"


@pytest.mark.parametrize(
    "url", ["missing.html", "au1/", "../outside.html", "/au1/index.html", "//cdn.example.com/x"]
)
def test_relative_url_must_name_a_file_in_the_zip(url: str) -> None:
    """14.1.0.0-4: a relative url that names no packaged file is refused."""
    data = make_zip({"cmi5.xml": course(au(url=url)), "au1/index.html": "x"})
    err = package_rejects("14.1.0.0-4", data, base_url=BASE)
    assert repr(url) in err.rule
    assert err.where.startswith("course.zip/cmi5.xml")


def test_absolute_url_into_the_package_is_rejected() -> None:
    """14.1.0.0-3: packaged media must be referenced relatively, not by the LMS content URL."""
    files = {"au1/index.html": "x"}
    ok = make_zip({"cmi5.xml": course(au(url="au1/index.html")), **files})
    import_package(ok, base_url=BASE)
    bad = make_zip({"cmi5.xml": course(au(url=BASE + "au1/index.html")), **files})
    package_rejects("14.1.0.0-3", bad, base_url=BASE)


@pytest.mark.parametrize("where", ["course/cmi5.xml", "CMI5.XML", "course.xml"])
def test_zip_needs_cmi5_xml_at_its_root(where: str) -> None:
    """14.1.0.0-2: the structure file is named exactly cmi5.xml, in the root directory."""
    absolute = course()
    import_package(make_zip({"cmi5.xml": absolute}))
    err = package_rejects("14.1.0.0-2", make_zip({where: absolute}))
    if where.lower().endswith("cmi5.xml"):
        assert repr(where) in err.rule


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"PK\x03\x04 this is not really a zip", id="truncated-header"),
        pytest.param(b"\x00\x01\x02 binary junk", id="junk"),
        pytest.param(b"", id="empty"),
    ],
)
def test_unreadable_upload_is_rejected(data: bytes) -> None:
    """14.0.0.0-1: only Zip32, Zip64 and XML are course packages."""
    package_rejects("14.0.0.0-1", data)


def test_truncated_zip_is_rejected() -> None:
    """A ZIP cut short loses its central directory."""
    good = make_zip({"cmi5.xml": course()})
    import_package(good)
    package_rejects("14.0.0.0-1", good[: len(good) // 2])


def to_zip64(data: bytes) -> bytes:
    """Rewrite a small ZIP's end records in Zip64 form (zip64 EOCD record + locator)."""
    eocd_at = data.rindex(b"PK\x05\x06")
    (_, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, _) = struct.unpack(
        "<4s4H2LH", data[eocd_at : eocd_at + 22]
    )
    zip64_eocd = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, disk, cd_disk, n_disk, n_total, cd_size, cd_offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd_at, 1)
    eocd = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0
    )
    return data[:eocd_at] + zip64_eocd + locator + eocd


def test_zip64_package_imports() -> None:
    """14.0.0.0-1: Zip64 (zip64 extra fields and end-of-central-directory records) is supported."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in {"cmi5.xml": course(au(url="index.html")), "index.html": b"x"}.items():
            with archive.open(name, "w", force_zip64=True) as handle:
                handle.write(content)
    data = to_zip64(buf.getvalue())
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    spec, files = import_package(data, "big.zip", base_url=BASE)
    assert spec.aus()[0].url == BASE + "index.html"
    assert files == {"index.html": b"x"}


@pytest.mark.parametrize(
    "name", ["../evil.html", "/etc/passwd", "a\\b.html", "C:/x.html", "a/../../b"]
)
def test_zip_slip_paths_are_refused(name: str) -> None:
    """Entries must stay inside the package root (APPNOTE 4.4.17); a plain subfolder passes."""
    import_package(make_zip({"cmi5.xml": course(), "a/b.html": "x"}))
    err = package_rejects("14.1.0.0-1", make_zip({"cmi5.xml": course(), name: "x"}))
    assert repr(name) in err.rule


def test_duplicate_zip_entries_are_refused() -> None:
    """Two entries with one path make the served content ambiguous."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            archive.writestr("cmi5.xml", course())
            archive.writestr("a.html", "1")
            archive.writestr("a.html", "2")
    package_rejects("14.1.0.0-1", buf.getvalue())


def test_corrupt_member_is_refused() -> None:
    """A member whose bytes fail the CRC cannot be served."""
    good = make_zip(
        {"cmi5.xml": course(), "a.html": "hello world"}, compress_type=zipfile.ZIP_STORED
    )
    import_package(good)
    bad = good.replace(b"hello world", b"HELLO WORLD")
    err = package_rejects("14.1.0.0-1", bad)
    assert "'a.html'" in err.rule


def test_encrypted_member_is_refused() -> None:
    """Encrypted entries cannot be served to a browser."""
    good = make_zip({"cmi5.xml": course(), "a.html": "secret"})
    import_package(good)
    central = good.rindex(b"PK\x01\x02")  # the last central directory entry is a.html
    flags = struct.unpack_from("<H", good, central + 8)[0] | 0x1
    bad = good[: central + 8] + struct.pack("<H", flags) + good[central + 10 :]
    err = package_rejects("14.1.0.0-1", bad)
    assert "encrypted" in err.rule


def test_uncompressed_size_bound() -> None:
    """Zips beyond the bound (16 MiB by default) are refused with a clear message."""
    assert MAX_UNCOMPRESSED_BYTES == 16 * 1024 * 1024
    data = make_zip({"cmi5.xml": course(), "video.bin": b"\0" * 50_000})
    import_package(data, max_uncompressed=100_000)
    err = package_rejects("14.0.0.0-1", data, max_uncompressed=40_000)
    assert isinstance(err, PackageTooLarge)
    assert "40000 bytes" in err.rule


def test_zip_cmi5_xml_errors_are_reported_with_the_zip_name() -> None:
    """XSD failures inside a package say which file they come from."""
    err = package_rejects("13.2.0.0-1", make_zip({"cmi5.xml": course(au(attrs='moveOn="x"'))}))
    assert err.where.startswith("course.zip/cmi5.xml")


@pytest.mark.parametrize("bad", ["ht tp://x", "a%zz"])
def test_ids_the_xsd_refuses_as_any_uri_report_the_iri_rule(bad: str) -> None:
    """An id libxml2 already rejects as xs:anyURI is reported under 3.0.0.0-1, with its path."""
    err = rejects("3.0.0.0-1", course(au(au_id=bad)))
    assert repr(bad) in err.rule
    assert "/courseStructure/au[1]/@id" in err.where


def test_extension_before_optional_cmi5_elements_is_rejected() -> None:
    """An extension between url and launchParameters pushes cmi5 content past the wildcard."""
    ok = au(tail="<launchParameters>a=1</launchParameters><v:x/>")
    assert parse_course_xml(course(ok)).aus()[0].launch_parameters == "a=1"
    bad = au(tail="<v:x/><launchParameters>a=1</launchParameters>")
    err = rejects("13.1.5.0-2", course(bad))
    assert "launchParameters" in err.rule
