"""ADL's LRS conformance suite passes whole on xAPI 1.0.3 against `serve --mode plain`.

The 2.0.0 run is in its own file so that pytest-xdist (--dist loadfile) runs the two apart."""

from __future__ import annotations

import pytest

from tests.adl_suite import run_against_serve

pytestmark = pytest.mark.slow


def test_adl_lrs_suite_passes_every_test_on_xapi_1_0_3(tmp_path):
    result = run_against_serve("1.0.3", tmp_path)
    assert not result.problems, "\n".join([result.summary(), *result.problems])
