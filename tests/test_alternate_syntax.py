"""The 1.0.3 alternate request syntax reads X-Experience-API-Version from the form too.

xAPI 1.0.3 Communication §1.3 (Alternate Request Syntax), Headers:
  1.3.s3.b6 "The Learning Record Provider MAY include any header parameters required by this
            specification which are expected to appear in the HTTP header as form parameters with
            the same names. This applies to the following parameters: Authorization,
            X-Experience-API-Version, Content-Type, Content-Length, If-Match and If-None-Match."
  1.3.s3.b7 "The LRS MUST treat the form parameters listed above as header parameters."
§3.3 (Versioning), XAPI-00331: "The LRS MUST reject requests with version header prior to
"1.0.0" ... with a version header of "1.1.0" or greater ... by responding with a 400 Bad Request".

So a form field X-Experience-API-Version is a version header: an unsupported value is a 400 even
when a real header names a good one. When both are given this LRS reads both; each must be a
version it speaks and both must name the same version (1.0.x count as one). Preferring either
would accept a request one of whose version headers §3.3 tells the LRS to reject.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.factories import statement


def _put(lms, *, header: str | None, form_version: str | None) -> requests.Response:
    stmt = statement()
    headers = {"Authorization": requests.auth._basic_auth_str(*lms.api_key)}
    if header is not None:
        headers["X-Experience-API-Version"] = header
    form = {"statementId": stmt["id"], "content": json.dumps(stmt)}
    if form_version is not None:
        form["X-Experience-API-Version"] = form_version
    return requests.post(
        lms.endpoint() + "statements?method=PUT", headers=headers, data=form, timeout=5
    )


@pytest.mark.parametrize("form_version", ["0.8", "0.95", "1.1.0", "banana"])
def test_an_unsupported_form_field_version_is_400_despite_a_good_header(lms, form_version):
    """§1.3.s3.b7 + XAPI-00331: the form field is a header, and its version is not one the LRS
    speaks. (Before: the real header won and the request was stored, 204.)"""
    r = _put(lms, header="1.0.3", form_version=form_version)
    assert r.status_code == 400, r.text
    body = r.json()
    assert repr(form_version) in body["error"]
    assert "form field" in body["error"]
    assert "xAPI-C §1.3.s3.b7" in body["error"]  # the rule for both, said in the refusal
    assert body["violations"][0]["path"] == "form:X-Experience-API-Version"
    assert r.headers["X-Experience-API-Version"] == "1.0.3"


def test_an_unsupported_header_is_400_despite_a_good_form_field(lms):
    """XAPI-00331: the real header is a version header too; a good form field does not hide it."""
    r = _put(lms, header="0.9", form_version="1.0.3")
    assert r.status_code == 400, r.text
    assert r.json()["violations"][0]["path"] == "header:X-Experience-API-Version"


@pytest.mark.parametrize(("header", "form_version"), [("1.0.3", "1.0.3"), ("1.0.2", "1.0.3")])
def test_a_header_and_a_form_field_naming_the_same_version_are_accepted(lms, header, form_version):
    """§3.3: any 1.0.x is served as 1.0.3, so 1.0.2 and 1.0.3 name the same version."""
    r = _put(lms, header=header, form_version=form_version)
    assert r.status_code == 204, r.text


def test_a_header_and_a_form_field_naming_different_versions_are_400(lms):
    """A 1.0.3 header and a 2.0.0 form field: two versions for one request; neither is guessed."""
    r = _put(lms, header="1.0.3", form_version="2.0.0")
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert "header '1.0.3'" in error and "form field '2.0.0'" in error


@pytest.mark.parametrize(("header", "form_version"), [(None, "1.0.3"), ("1.0.3", None)])
def test_either_place_alone_is_enough(lms, header, form_version):
    """§1.3.s3.b6: the form field MAY carry the header; a real header alone also counts."""
    assert _put(lms, header=header, form_version=form_version).status_code == 204


def test_no_version_anywhere_is_400(lms):
    """XAPI-00331: no version header and no form field: the missing-header 400."""
    r = _put(lms, header=None, form_version=None)
    assert r.status_code == 400
    assert "missing X-Experience-API-Version" in r.json()["error"]


def test_two_different_form_fields_are_400(lms):
    """The form field given twice with two versions is the same ambiguity as header vs form."""
    stmt = statement()
    body = (
        f"statementId={stmt['id']}&X-Experience-API-Version=1.0.3"
        "&X-Experience-API-Version=2.0.0&content=" + requests.utils.quote(json.dumps(stmt), safe="")
    )
    r = requests.post(
        lms.endpoint() + "statements?method=PUT",
        headers={
            "Authorization": requests.auth._basic_auth_str(*lms.api_key),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        data=body,
        timeout=5,
    )
    assert r.status_code == 400, r.text
