"""Writing scenarios: the loader's messages, `scenarios validate` and `scenarios new`.

Issue 12 ("Writing scenarios"): a YAML syntax error names FILE:LINE:COLUMN; a schema error names
the file, the scenario id and the JSON path; a file holding one scenario mapping is accepted as well
as a `scenarios:` list; `validate` exits 0/1/2; `new` writes a commented template that validates.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.cli.scenarios import template
from harness.scenarios import ScenarioError, discover, load_file

GOOD = {
    "id": "good-one",
    "title": "a title",
    "rule": {"text": "a rule", "source": "cmi5 9.3.1"},
    "expect": {"outcome": "completed"},
}


def cli(
    *args: str, cwd: Path | None = None, module: str = "harness"
) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGS` in a real process (default: the `weare-harness` command)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    return caught.value.problems


# --- the loader's messages ---------------------------------------------------------------------


def test_yaml_syntax_error_names_file_line_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenarios:\n- id: x\n  title: [unclosed\n  rule: {text: a}\n")
    (problem,) = problems_of(bad)
    # line 4 column 3 is where the parser found `rule:` inside the unclosed flow sequence
    assert problem.startswith(f"{bad}:4:")
    assert "YAML syntax error" in problem and "started at 3:10" in problem


def test_yaml_tab_indent_names_its_line(tmp_path):
    bad = tmp_path / "tab.yaml"
    bad.write_text("id: x\ntitle: t\n\trule: 1\n")
    (problem,) = problems_of(bad)
    assert problem.startswith(f"{bad}:3:1: YAML syntax error: ")


def test_json_syntax_error_names_file_line_column(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "scenarios": [1,]\n}\n')
    assert problems_of(bad) == [f"{bad}:2:19: JSON syntax error: Expecting value"]


def test_schema_error_names_file_scenario_id_json_path_value_and_rule(tmp_path):
    bad = tmp_path / "bad.yaml"
    wrong = {**GOOD, "expect": {"outcome": "done", "statements": {"configured": -1}}}
    bad.write_text(yaml.safe_dump({"scenarios": [GOOD | {"id": "other"}, wrong]}))
    assert problems_of(bad) == [
        f"{bad}: scenario 'good-one': at $.scenarios[1].expect.outcome: "
        "'done' is not one of ['completed', 'failed'] (schema rule: enum)",
        f"{bad}: scenario 'good-one': at $.scenarios[1].expect.statements.configured: "
        "-1 is less than the minimum of 0 (schema rule: minimum)",
    ]


def test_scenario_without_id_is_named_by_position(tmp_path):
    bad = tmp_path / "bad.yaml"
    nameless = {k: v for k, v in GOOD.items() if k != "id"}
    bad.write_text(yaml.safe_dump({"scenarios": [GOOD, nameless]}))
    assert problems_of(bad) == [
        f"{bad}: scenario #2: at $.scenarios[1]: 'id' is a required property "
        "(schema rule: required)"
    ]


def test_file_level_error_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("description: only words\n")
    assert problems_of(bad) == [
        f"{bad}: file: at $: 'scenarios' is a required property (schema rule: required)"
    ]


def test_empty_file_is_an_error_not_a_crash(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    (problem,) = problems_of(empty)
    assert problem.startswith(f"{empty}: the file is empty")


def test_one_scenario_mapping_is_a_file_of_its_own(tmp_path):
    single = tmp_path / "single.yaml"
    single.write_text(yaml.safe_dump(GOOD))
    (scenario,) = load_file(single)
    assert scenario.id == "good-one" and scenario.file == str(single)


def test_one_scenario_mapping_errors_use_its_own_paths(tmp_path):
    single = tmp_path / "single.json"
    single.write_text(json.dumps(GOOD | {"expect": {"bogus": 1}}))
    assert problems_of(single) == [
        f"{single}: scenario 'good-one': at $.expect: Additional properties are not allowed "
        "('bogus' was unexpected) (schema rule: additionalProperties)"
    ]


def test_one_scenario_mapping_with_a_stray_description_is_still_that_scenario(tmp_path):
    single = tmp_path / "single.yaml"
    single.write_text(yaml.safe_dump(GOOD | {"description": "belongs to a file"}))
    assert problems_of(single) == [
        f"{single}: scenario 'good-one': at $: Additional properties are not allowed "
        "('description' was unexpected) (schema rule: additionalProperties)"
    ]


def test_many_problems_make_one_line_with_a_count(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"scenarios": [{"id": "x-y"}]}))
    with pytest.raises(ScenarioError) as caught:
        load_file(bad)
    assert len(caught.value.problems) == 3  # title, rule and expect missing
    assert str(caught.value) == caught.value.problems[0] + " (and 2 more problems)"


def test_duplicate_id_across_files_names_both(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(GOOD))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"scenarios": [GOOD]}))
    with pytest.raises(ScenarioError, match=r"b\.yaml: scenario id 'good-one' is already used in"):
        discover([str(tmp_path)])


# --- the template ------------------------------------------------------------------------------


def test_template_validates_and_is_commented(tmp_path):
    path = tmp_path / "my-check.yaml"
    path.write_text(template("my-check"))
    (scenario,) = load_file(path)
    assert scenario.id == "my-check"
    assert template("my-check").count("#") >= 10


def test_template_uses_every_top_level_scenario_key():
    from harness.scenarios import scenario_schema

    keys = set(scenario_schema()["$defs"]["scenario"]["properties"])
    item = yaml.safe_load(template("x-y"))["scenarios"][0]
    assert set(item) == keys


# --- the command, in a real process ------------------------------------------------------------


def test_validate_all_valid_exits_0(tmp_path):
    (tmp_path / "one.yaml").write_text(yaml.safe_dump(GOOD))
    r = cli("scenarios", "validate", str(tmp_path / "one.yaml"), "harness/suite")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{tmp_path / 'one.yaml'}: ok (1 scenario)" in r.stdout
    assert r.stdout.strip().endswith("7 files, all valid")


def test_validate_some_invalid_exits_1_listing_every_problem(tmp_path):
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(GOOD))
    (tmp_path / "syntax.yaml").write_text("id: x\n  title: t\n")
    (tmp_path / "schema.yaml").write_text(yaml.safe_dump(GOOD | {"id": "s-1", "tags": "x"}))
    r = cli("scenarios", "validate", str(tmp_path))
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert f"{tmp_path / 'good.yaml'}: ok (1 scenario)" in lines
    assert any(
        line.startswith(f"{tmp_path / 'syntax.yaml'}:2:8: YAML syntax error") for line in lines
    )
    assert (
        f"{tmp_path / 'schema.yaml'}: scenario 's-1': at $.tags: 'x' is not of type 'array' "
        "(schema rule: type)"
    ) in lines
    assert lines[-1] == "3 files, 2 invalid"


def test_validate_duplicate_ids_exits_1(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(GOOD))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(GOOD))
    r = cli("scenarios", "validate", str(tmp_path))
    assert r.returncode == 1
    assert "scenario id 'good-one' is already used in" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["scenarios", "validate", "no/such.yaml"],
            "no/such.yaml: no such scenario file or folder",
        ),
        (["scenarios", "validate"], "the following arguments are required: PATH"),
        (["scenarios"], "the following arguments are required: ACTION"),
        (["scenarios", "new", "Bad_Id"], "'Bad_Id' is not a scenario id"),
        (
            ["scenarios", "new", "ok-id", "--dir", "no/such/dir"],
            "--dir no/such/dir: no such folder",
        ),
    ],
)
def test_usage_errors_exit_2(args, message, tmp_path):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr


def test_validate_folder_without_scenario_files_exits_2(tmp_path):
    (tmp_path / "notes.txt").write_text("no scenarios here")
    r = cli("scenarios", "validate", str(tmp_path))
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"weare-harness scenarios validate: no scenario file (.yaml, .yml, .json) in {tmp_path}"
    )


def test_new_writes_a_template_that_validates_then_refuses_to_overwrite(tmp_path):
    r = cli("scenarios", "new", "my-first-check", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    written = tmp_path / "my-first-check.yaml"
    assert written.read_text() == template("my-first-check")
    assert cli("scenarios", "validate", str(written)).returncode == 0

    written.write_text("# edited by hand\n" + template("my-first-check"))
    again = cli("scenarios", "new", "my-first-check", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip() == (
        "weare-harness scenarios new: my-first-check.yaml already exists; not overwritten"
    )
    assert written.read_text().startswith("# edited by hand\n")


def test_new_into_dir(tmp_path):
    r = cli("scenarios", "new", "in-a-dir", "--dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "in-a-dir.yaml").is_file()


def test_template_passes_on_the_reference_story_and_fails_on_a_mutant(tmp_path):
    """The template is a working check, not a placeholder: reference passes, a mutant fails."""
    (tmp_path / "t.yaml").write_text(template("template-check"))
    ok = cli("run", "t.yaml", "--driver", "http", "--report-dir", "rep", "--no-color", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = cli(
        "run", "t.yaml", "--driver", "http", "--au", "mutant:ignores-endpoint",
        "--report-dir", "rep", "--no-color", cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 1, bad.stdout + bad.stderr


def test_run_reports_a_syntax_error_with_its_position(tmp_path):
    (tmp_path / "bad.yaml").write_text("id: x\n  title: t\n")
    r = cli("run", "bad.yaml", "--no-color", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("weare-harness run: bad.yaml:2:8: YAML syntax error")
    assert len(r.stderr.strip().splitlines()) == 1


# --- the scenario reference, generated from the schema ------------------------------------------


def test_the_docs_scenario_keys_page_is_the_generated_section():
    """The site's "Scenario keys" page is the section rendered from the schema at every build
    (tests/test_docs_site.py builds it)."""
    from harness.reference_docs import pages
    from harness.scenario_docs import render

    assert render() in pages()["reference/scenario-keys.md"]


def test_every_key_of_the_schema_is_described():
    from harness.scenario_docs import rows
    from harness.scenarios import scenario_schema

    file_keys = scenario_schema()["properties"]
    undescribed = [k for k, v in file_keys.items() if not v.get("description")]
    undescribed += [key for key, _, _, text in rows() if not text]
    assert undescribed == [], "add a 'description' to these keys in scenario.schema.json"


def test_rows_cover_nested_keys_with_value_and_required():
    from harness.scenario_docs import rows

    table = {key: (value, needed) for key, value, needed, _ in rows()}
    assert table["rule.source"] == ("text", True)
    assert table["expect.statements.launch"] == ("integer ≥ 0, or mapping (keys below)", False)
    assert table["expect.statements.launch.at_least"] == ("integer ≥ 0", True)
    assert table["lms.mode"] == ("`enforce` \\| `observe` \\| `plain`", False)
    assert table["actions"] == ("list of `finish` \\| `reload`", False)


def test_docs_command_rewrites_only_between_markers(tmp_path):
    from harness.scenario_docs import BEGIN, END, render

    doc = tmp_path / "README.md"
    doc.write_text(f"before\n{BEGIN}\nstale\n{END}\nafter\n")
    r = cli("--write", str(doc), module="harness.scenario_docs")
    assert r.returncode == 0, r.stderr
    assert doc.read_text() == f"before\n{BEGIN}\n{render()}\n{END}\nafter\n"


def test_docs_command_without_markers_exits_2(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text("no markers\n")
    r = cli("--write", str(doc), module="harness.scenario_docs")
    assert r.returncode == 2
    assert "markers" in r.stderr and doc.read_text() == "no markers\n"
