"""Integration manifests: the shipped ones are valid, and every broken one is refused with
messages that name the problem, its path and its line (offline, over the API, and by the CLI).

Each file in ``tests/manifests/broken`` ends with ``# expect: ...`` comments: texts that
must each appear among the problems found (appended at the end so line numbers hold).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monstrum.exceptions import MonstrumAPIError
from monstrum_tui.server.manifests import check_manifest_text
from monstrum_tui.server.manifests.semver import Version
from monstrum_tui.server.manifests.shipped import shipped_manifest_names, shipped_manifest_text
from monstrum_tui.server.manifests.templates import MissingValue, render, render_value

BROKEN = sorted((Path(__file__).parent / "manifests" / "broken").glob("*.yaml"))
REPO = Path(__file__).resolve().parents[1]


def expectations(path: Path) -> list[str]:
    return [
        line[len("# expect: "):]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


def test_the_corpus_is_big_enough_and_every_file_says_what_to_expect() -> None:
    assert len(BROKEN) >= 30
    assert all(expectations(p) for p in BROKEN)


def test_the_shipped_manifests_are_valid() -> None:
    assert {"jira", "filesystem", "shell"} <= set(shipped_manifest_names())
    for name in shipped_manifest_names():
        manifest, problems = check_manifest_text(shipped_manifest_text(name))
        assert problems == [] and manifest is not None and manifest.name == name


def test_the_guide_manifest_reads_as_written() -> None:
    manifest, problems = check_manifest_text((REPO / "integrations" / "jira.yaml").read_text())
    assert problems == []
    assert manifest.resource_type.id == "jira"
    assert [t.name for t in manifest.tools] == ["jira_list_issues"]
    assert manifest.scope_dimensions[0].error_template == "项目 {value} 不在授权范围内"


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_a_broken_manifest_names_each_problem_offline(path: Path) -> None:
    manifest, problems = check_manifest_text(path.read_text(encoding="utf-8"))
    assert manifest is None
    found = "\n".join(str(p) for p in problems)
    for expected in expectations(path):
        assert expected in found


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_a_broken_manifest_is_a_422_naming_each_problem(client, path: Path) -> None:
    with pytest.raises(MonstrumAPIError) as err:
        client.integrations.upload(manifest=path.read_text(encoding="utf-8"))
    assert err.value.status_code == 422 and err.value.type == "validation_error"
    assert err.value.message.startswith("invalid manifest (")
    fields = err.value.body["fields"]
    listed = [
        f"{f['field']} line {f['line']}: {f['message']}" if f.get("line")
        else f"{f['field']}: {f['message']}"
        for f in fields
    ]
    for expected in expectations(path):
        assert expected in err.value.message
        assert any(expected in entry for entry in listed)


def test_every_problem_is_reported_at_once_with_its_line() -> None:
    text = (Path(__file__).parent / "manifests" / "broken" / "many_problems_at_once.yaml")
    _, problems = check_manifest_text(text.read_text())
    assert [(p.path, p.line) for p in problems] == [
        ("name", 1),
        ("tools[0].operation", 21),
        ("scope_dimensions[0].param_paths[0]", 34),
        ("scope_dimensions[0].match_mode", 35),
    ]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monstrum_tui.cli", *args], capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL, env=dict(os.environ),
    )


def test_cli_validate_accepts_the_guide_manifest_offline() -> None:
    done = run_cli("integrations", "validate", str(REPO / "integrations" / "jira.yaml"))
    assert done.returncode == 0, done.stderr
    assert "ok: jira 1.0.0, resource type jira, 1 tool(s)" in done.stdout


def test_cli_validate_prints_each_problem_with_file_and_line_on_stderr() -> None:
    path = Path(__file__).parent / "manifests" / "broken" / "param_path_typo.yaml"
    done = run_cli("integrations", "validate", str(path))
    assert done.returncode == 1 and done.stdout == ""
    assert (
        f"{path}:34: scope_dimensions[0].param_paths[0]: param_paths names 'projct', which is "
        "not a property of input_schema in any tool (did you mean 'project'?)"
    ) in done.stderr
    assert done.stderr.rstrip().endswith(f"{path}: 1 problem")


def test_cli_validate_of_a_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    done = run_cli("integrations", "validate", str(tmp_path / "nope.yaml"))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"monstrum: error: cannot read {tmp_path / 'nope.yaml'}: No such file or directory"
    )


def test_templates_keep_the_type_of_a_sole_reference_and_fill_text_otherwise() -> None:
    values = {"params": {"n": 5, "p": "a b"}, "config": {}, "credentials": {"t": "tok"}}

    def lookup(ref):
        try:
            return values[ref.namespace][ref.name]
        except KeyError:
            raise MissingValue(ref) from None

    assert render("{params.n}", lookup) == 5
    assert render("n={params.n}, {{literal}}", lookup) == "n=5, {literal}"
    assert render("/x/{params.p}", lookup, escape=lambda v: v.replace(" ", "%20")) == "/x/a%20b"
    assert render_value({"a": "{params.missing}", "b": ["{params.n}"]}, lookup) == {"b": [5]}
    with pytest.raises(MissingValue):
        render("Bearer {credentials.absent}", lookup)


def test_semver_precedence() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.0.1",
               "1.2.0", "10.0.0"]
    assert sorted(ordered, key=Version) == ordered
    assert Version("1.0.0+build.5") == Version("1.0.0")
