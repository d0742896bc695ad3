"""The decision function: each check fails first in DESIGN §2's order, with a useful reason."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from monstrum_tui.client.models import Bot, Tool
from monstrum_tui.server.governance import CHECK_ORDER, ResourceTool, decide

NOW = datetime.now(timezone.utc)

JIRA_LIST = Tool(
    name="jira_list_issues",
    operation="issue.read",
    input_schema={
        "type": "object",
        "properties": {
            "project": {"type": "string"},
            "status": {"type": "string"},
            "max_results": {"type": "integer", "default": 50},
        },
        "required": ["project"],
    },
    scope_dimensions=[
        {"key": "projects", "param_paths": ["project"], "match_mode": "pattern",
         "error_template": "项目 {value} 不在授权范围内"}
    ],
)
OFFERED = {"res_jira": [ResourceTool("res_jira", JIRA_LIST)]}


def make_bot(**overrides: Any) -> Bot:
    spec: dict[str, Any] = {
        "id": "bot_g",
        "name": "gov",
        "status": "active",
        "allowed_operations": ["issue.*"],
        "resource_bindings": [
            {"resource_id": "res_jira", "allowed_tools": ["jira_*"],
             "scope_constraints": {"projects": ["OPS", "ENG-*"]}}
        ],
        "created_at": NOW,
        "updated_at": NOW,
    }
    spec.update(overrides)
    return Bot.model_validate(spec)


GOOD_PARAMS = {"project": "ENG-7"}


def test_allowed_call_names_resource_and_operation() -> None:
    d = decide(make_bot(), OFFERED, "jira_list_issues", GOOD_PARAMS)
    assert d.allowed and d.check is None
    assert (d.resource_id, d.operation, d.tool_name) == ("res_jira", "issue.read",
                                                         "jira_list_issues")


def test_checks_fail_in_design_order() -> None:
    """Start with every check broken, fix them one by one: the failing check walks the order."""
    broken: dict[str, Any] = {
        "bot_active": {"status": "paused"},
        "binding": {"resource_bindings": []},
        "allowed_tools": {"allowed_tools": ["other_*"]},
        "allowed_operations": {"allowed_operations": ["deploy.*"]},
        "input_schema": {"params": {"project": 5}},
        "scope": {"params": {"project": "SEC"}},
    }
    seen = []
    for i in range(len(CHECK_ORDER)):
        still_broken = CHECK_ORDER[i:]
        bot_fields: dict[str, Any] = {}
        binding = {"resource_id": "res_jira", "allowed_tools": ["jira_*"],
                   "scope_constraints": {"projects": ["OPS", "ENG-*"]}}
        params = dict(GOOD_PARAMS)
        for name in still_broken:
            change = broken[name]
            if name == "allowed_tools":
                binding.update(change)
            elif "params" in change:
                # the schema check comes first, so its breakage wins while both are broken
                if name == "input_schema" or "input_schema" not in still_broken:
                    params = change["params"]
            else:
                bot_fields.update(change)
        bot_fields.setdefault("resource_bindings", [binding])
        d = decide(make_bot(**bot_fields), OFFERED, "jira_list_issues", params)
        assert not d.allowed
        seen.append(d.check)
    assert seen == list(CHECK_ORDER)
    assert decide(make_bot(), OFFERED, "jira_list_issues", GOOD_PARAMS).allowed


def test_scope_denial_fills_the_error_template() -> None:
    d = decide(make_bot(), OFFERED, "jira_list_issues", {"project": "SEC"})
    assert d.check == "scope"
    assert d.message == "项目 SEC 不在授权范围内"
    assert (d.dimension, d.param_path, d.value) == ("projects", "project", "SEC")
    assert d.allowed_patterns == ["OPS", "ENG-*"]


def test_globs_are_case_sensitive() -> None:
    assert not decide(make_bot(), OFFERED, "jira_list_issues", {"project": "ops"}).allowed
    bot = make_bot(allowed_operations=["ISSUE.*"])
    assert decide(bot, OFFERED, "jira_list_issues", GOOD_PARAMS).check == "allowed_operations"


def test_a_dimension_the_binding_leaves_out_allows_nothing() -> None:
    bot = make_bot(resource_bindings=[{"resource_id": "res_jira", "allowed_tools": ["*"]}])
    d = decide(bot, OFFERED, "jira_list_issues", GOOD_PARAMS)
    assert d.check == "scope" and d.dimension == "projects" and d.allowed_patterns == []
    star = make_bot(resource_bindings=[{"resource_id": "res_jira", "allowed_tools": ["*"],
                                        "scope_constraints": {"projects": ["*"]}}])
    assert decide(star, OFFERED, "jira_list_issues", GOOD_PARAMS).allowed


def test_schema_denial_names_the_problem() -> None:
    d = decide(make_bot(), OFFERED, "jira_list_issues", {"status": "open"})
    assert d.check == "input_schema" and "'project' is a required property" in d.message
    d = decide(make_bot(), OFFERED, "jira_list_issues", {"project": "OPS", "max_results": "x"})
    assert d.check == "input_schema" and "max_results" in d.message
    assert decide(make_bot(), OFFERED, "jira_list_issues", ["not", "a", "dict"]).check == (
        "input_schema"
    )


def test_unknown_tool_and_unbound_resource() -> None:
    d = decide(make_bot(), OFFERED, "jira_delete_everything", {})
    assert d.check == "binding" and "jira_delete_everything" in d.message
    d = decide(make_bot(), OFFERED, "res_other/jira_list_issues", GOOD_PARAMS)
    assert d.check == "binding" and "res_other" in d.message


def test_two_bindings_offering_a_tool_need_the_qualified_name() -> None:
    offered = {**OFFERED, "res_jira2": [ResourceTool("res_jira2", JIRA_LIST)]}
    binding2 = {"resource_id": "res_jira2", "allowed_tools": ["*"],
                "scope_constraints": {"projects": ["SEC"]}}
    bot = make_bot(resource_bindings=[*make_bot().resource_bindings, binding2])
    d = decide(bot, offered, "jira_list_issues", {"project": "SEC"})
    assert d.check == "binding" and "res_jira/jira_list_issues" in d.message
    # qualified: each binding's own constraints apply
    assert decide(bot, offered, "res_jira2/jira_list_issues", {"project": "SEC"}).allowed
    d = decide(bot, offered, "res_jira/jira_list_issues", {"project": "SEC"})
    assert d.check == "scope" and d.resource_id == "res_jira"


@pytest.mark.parametrize(
    "mode, patterns, value, allowed",
    [
        ("exact", ["OPS"], "OPS", True),
        ("exact", ["OPS"], "OPS-1", False),
        ("prefix", ["/srv/"], "/srv/app", True),
        ("prefix", ["/srv/"], "/etc/passwd", False),
        ("regex", ["[A-Z]{3}"], "OPS", True),
        ("regex", ["[A-Z]{3}"], "OPSX", False),  # a full match, not a search
    ],
)
def test_match_modes(mode: str, patterns: list[str], value: str, allowed: bool) -> None:
    tool = Tool.model_validate({**JIRA_LIST.model_dump(), "scope_dimensions": [
        {"key": "projects", "param_paths": ["project"], "match_mode": mode,
         "error_template": "no {value}"}]})
    bot = make_bot(resource_bindings=[{"resource_id": "res_jira", "allowed_tools": ["*"],
                                       "scope_constraints": {"projects": patterns}}])
    d = decide(bot, {"res_jira": [ResourceTool("res_jira", tool)]}, "jira_list_issues",
               {"project": value})
    assert d.allowed == allowed
    if not allowed:
        assert d.message == f"no {value}"


def test_an_error_inside_the_decision_denies() -> None:
    bot = make_bot(resource_bindings=[{"resource_id": "res_jira", "allowed_tools": ["*"],
                                       "scope_constraints": {"projects": ["("]}}])
    tool = Tool.model_validate({**JIRA_LIST.model_dump(), "scope_dimensions": [
        {"key": "projects", "param_paths": ["project"], "match_mode": "regex",
         "error_template": "x"}]})
    d = decide(bot, {"res_jira": [ResourceTool("res_jira", tool)]}, "jira_list_issues",
               GOOD_PARAMS)
    assert not d.allowed and d.check == "error" and "denied" in d.message
    bad_schema = Tool.model_validate({**JIRA_LIST.model_dump(), "input_schema": {"type": 7}})
    d = decide(make_bot(), {"res_jira": [ResourceTool("res_jira", bad_schema)]},
               "jira_list_issues", GOOD_PARAMS)
    assert not d.allowed and d.check == "error"


def test_absent_scope_value_matches_only_star() -> None:
    tool = Tool.model_validate({**JIRA_LIST.model_dump(), "input_schema": {"type": "object"}})
    offered = {"res_jira": [ResourceTool("res_jira", tool)]}
    d = decide(make_bot(), offered, "jira_list_issues", {})
    assert d.check == "scope" and d.value is None and "(absent)" in d.message


def test_scope_sees_schema_defaults_of_absent_params() -> None:
    schema = {"type": "object", "properties": {"project": {"type": "string", "default": "OPS"}}}
    tool = Tool.model_validate({**JIRA_LIST.model_dump(), "input_schema": schema})
    offered = {"res_jira": [ResourceTool("res_jira", tool)]}
    assert decide(make_bot(), offered, "jira_list_issues", {}).allowed  # runs with OPS
    schema["properties"]["project"]["default"] = "SEC"
    tool = Tool.model_validate({**JIRA_LIST.model_dump(), "input_schema": schema})
    d = decide(make_bot(), {"res_jira": [ResourceTool("res_jira", tool)]}, "jira_list_issues", {})
    assert d.check == "scope" and d.value == "SEC"


def test_tool_access_gives_decides_verdict_for_each_bound_tool() -> None:
    from monstrum_tui.server.governance import tool_access

    deploy = Tool(name="jira_delete", operation="issue.delete")
    offered = {"res_jira": [ResourceTool("res_jira", JIRA_LIST), ResourceTool("res_jira", deploy)],
               "res_other": [ResourceTool("res_other", JIRA_LIST)]}
    bot = make_bot(allowed_operations=["issue.read"], resource_bindings=[
        {"resource_id": "res_jira", "allowed_tools": ["*"],
         "scope_constraints": {"projects": ["OPS"]}},
        {"resource_id": "res_other", "allowed_tools": ["nothing"]},
    ])
    access = {(a.resource_id, a.tool_name): a for a in tool_access(bot, offered)}
    listed = access[("res_jira", "jira_list_issues")]
    assert listed.may_call and listed.call_name == "res_jira/jira_list_issues"
    assert listed.scope_constraints == {"projects": ["OPS"]}
    # the same words a real call gets from decide()
    for (rid, name), verdict in access.items():
        if verdict.may_call:
            continue
        real = decide(bot, offered, f"{rid}/{name}", {"project": "OPS"})
        assert (verdict.check, verdict.reason) == (real.check, real.message)
    other = access[("res_other", "jira_list_issues")]
    assert other.check == "allowed_tools" and other.scope_constraints == {"projects": []}
    assert access[("res_jira", "jira_delete")].check == "allowed_operations"
    paused = tool_access(make_bot(status="paused"), OFFERED)
    assert [a.check for a in paused] == ["bot_active"]
