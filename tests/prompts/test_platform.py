"""The platform texts and the app-state data restate olares-shared's references.

Texts must load and carry their key facts; the JSON must be self-consistent;
``check_app_operation`` must agree with the JSON for every state and operation.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any, get_args

import pytest

from olares_auth_mcp.prompts import platform
from olares_auth_mcp.prompts.platform import (
    SOURCES,
    AppStates,
    OperationCheck,
    ResourceName,
    check_app_operation,
    load_app_states,
    load_text,
)

NAMES: tuple[str, ...] = get_args(ResourceName)


def _raw_document() -> dict[str, Any]:
    text = resources.files(platform).joinpath("app_states.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _state(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in doc["states"] if s["name"] == name)


# --- texts -------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_text_loads_and_names_its_source(name: ResourceName) -> None:
    """Each resource text is non-empty Markdown and cites the file it restates."""
    text = load_text(name)
    assert text.startswith("# ")
    assert len(text) > 1000
    assert SOURCES[name] in text


def test_sources_cover_exactly_the_texts() -> None:
    """SOURCES has one entry per resource, each a path in beclab/Olares's olares-shared skill."""
    assert set(SOURCES) == set(NAMES)
    for source in SOURCES.values():
        assert re.fullmatch(r"beclab/Olares cli/skills/olares-shared/\S+\.md", source)


def test_unknown_text_name_is_rejected_with_the_known_names() -> None:
    """A name outside the Literal fails loudly instead of reading some other file."""
    with pytest.raises(ValueError, match="app_states, model, routing"):
        load_text("secrets")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fact",
    [
        "drive/Home",
        "drive/Data",
        "cache/<node>",
        "drive/Common",
        "external/<node>/<volume>",
        ".Values.userspace.userData",
        ".Values.userspace.appData",
        ".Values.userspace.appCache",
        ".Values.userspace.appCommon",
        ".Values.sharedlib",
        "JuiceFS",
        "uid 1000",
        "runAsUser: 1000",
        "Huggingface",
        "<app>-<owner>",
        "<app>-shared",
        ".Values.svcs.<svcName>_host",
        "PostgreSQL",
        "Redis",
        "Market",
        "`-0`",
        ".Values.sysVersion",
        "/api/olares-info",
        "osVersion",
        "VERSION",
    ],
)
def test_model_text_carries_the_platform_facts(fact: str) -> None:
    """model.md names the storage areas, the uid 1000 identity, namespaces, middleware and versions."""
    assert fact in load_text("model")


def test_model_text_names_all_five_storage_areas_and_the_home_directories() -> None:
    """Every storage area has a row, and all eleven reserved Home directories are listed."""
    text = load_text("model")
    for area in ("Home", "Data", "Cache", "Common", "External"):
        assert re.search(rf"^\| {area} \|", text, flags=re.MULTILINE), area
    for directory in (
        "Pictures",
        "Music",
        "Movies",
        "Downloads",
        "Documents",
        "Code",
        "Cache",
        "Data",
        "Home",
        "Ollama",
        "Huggingface",
    ):
        assert f"`{directory}`" in text


@pytest.mark.parametrize(
    "fact",
    [
        "pending` → `downloading` → `installing` → `initializing` → `running",
        "at most one app be in `downloading`",
        "TCP connection",
        "PROGRESS",
        '"0.00"',
        "30 days",
        "24 hours",
        "namespace included",
        "upgradeCancelByUser",
        "1.12.7",
        "5-minute grace",
    ],
)
def test_app_states_text_carries_the_lifecycle_facts(fact: str) -> None:
    """app_states.md covers transitions, TTLs, serialized downloads, running, progress and cancel."""
    assert fact in load_text("app_states")


def test_app_states_text_mentions_every_state_and_operation_of_the_data() -> None:
    """The prose and the JSON describe the same states and operations."""
    text = load_text("app_states")
    doc = load_app_states()
    for name in doc.state_names:
        assert f"`{name}`" in text, name
    for op in doc.operation_names:
        assert f"`{op}`" in text, op


@pytest.mark.parametrize(
    "skill",
    [
        "olares-shared",
        "olares-market",
        "olares-settings",
        "olares-cluster",
        "olares-dashboard",
        "olares-files",
        "olares-search",
        "olares-knowledge",
        "olares-router",
        "olares-chart",
        "olares-publish",
        "olares-doctor",
    ],
)
def test_routing_text_routes_to_every_skill(skill: str) -> None:
    """Each skill of the suite has a row in the routing table."""
    assert re.search(rf"^\|.*\| `{skill}` \|", load_text("routing"), flags=re.MULTILINE)


def test_routing_text_keeps_host_maintenance_out_and_says_how_to_install() -> None:
    """Host-side node/os/gpu work is not a profile skill; the CLI installs via npm."""
    text = load_text("routing")
    assert "`olares-cli node`" in text
    assert "`olares-cli os`" in text
    assert "`olares-cli gpu`" in text
    assert "kubeconfig" in text
    assert "npm install -g @olares/cli@latest" in text
    assert "olares-cli skills install" in text


# --- the JSON document ----------------------------------------------------------


def test_packaged_document_is_consistent() -> None:
    """The packaged JSON parses, names its source and passes the validator."""
    doc = load_app_states()
    assert isinstance(doc, AppStates)
    assert doc.source == SOURCES["app_states"]
    assert doc.max_concurrent_downloads == 1
    assert doc is load_app_states()


def test_every_reference_in_the_document_resolves() -> None:
    """Transitions, TTLs and allowed operations only name declared states and operations."""
    doc = load_app_states()
    states = set(doc.state_names)
    operations = set(doc.operation_names)
    buckets = {b.name for b in doc.buckets}
    for s in doc.states:
        assert s.bucket in buckets
        assert set(s.allowed_operations) <= operations
        assert s.terminal == (s.bucket != "progressing")
    for t in doc.transitions:
        assert t.from_state in states
        assert t.to_state in states
        source = doc.state(t.from_state)
        assert source is not None
        assert t.operation is None or t.operation in source.allowed_operations
    for ttl in doc.ttls:
        assert ttl.state in states


def test_document_matches_the_reference_gate_table() -> None:
    """Spot checks against olares-platform-appstate.md's per-state table."""
    doc = load_app_states()
    expected = {
        "none": {"install"},
        "uninstalled": {"install"},
        "pending": {"cancel"},
        "resuming": {"cancel", "stop"},
        "running": {"uninstall", "upgrade", "env", "stop"},
        "stopped": {"uninstall", "upgrade", "env", "resume"},
        "installFailed": {"install", "uninstall"},
        "resumeFailed": {"resume", "upgrade", "env", "uninstall"},
        "installingCancelFailed": {"cancel", "uninstall"},
        "uninstalling": set(),
        "pendingCanceling": set(),
    }
    for name, ops in expected.items():
        state = doc.state(name)
        assert state is not None, name
        assert set(state.allowed_operations) == ops, name
    ttl = {(t.state, t.phase): t.seconds for t in doc.ttls}
    assert ttl[("downloading", None)] == 24 * 3600
    assert ttl[("installing", None)] == 30 * 60


def test_normal_install_path_is_a_chain_of_transitions() -> None:
    """pending -> downloading -> installing -> initializing -> running, plus the middleware shortcut."""
    edges = {(t.from_state, t.to_state) for t in load_app_states().transitions}
    path = ["pending", "downloading", "installing", "initializing", "running"]
    assert set(itertools.pairwise(path)) <= edges
    assert ("installing", "running") in edges
    assert ("upgrading", "stopped") in edges


# --- check_app_operation --------------------------------------------------------


def _all_pairs() -> list[tuple[str, str]]:
    doc = load_app_states()
    return [(s, op) for s in doc.state_names for op in doc.operation_names]


@pytest.mark.parametrize(("state", "operation"), _all_pairs())
def test_check_agrees_with_the_document(state: str, operation: str) -> None:
    """For every state x operation the gate answer is exactly the JSON's allowed list."""
    allowed_ops = _state(_raw_document(), state)["allowed_operations"]
    result = check_app_operation(state, operation)
    assert isinstance(result, OperationCheck)
    assert result.allowed is (operation in allowed_ops)
    assert result.allowed_operations == allowed_ops
    assert (result.state, result.operation) == (state, operation)
    assert operation in result.reason
    assert state in result.reason


def test_names_match_ignoring_case_and_surrounding_space() -> None:
    """Agents type names loosely; the answer carries the canonical spelling."""
    result = check_app_operation("  ApplyingENV\n", " CANCEL ")
    assert (result.state, result.operation, result.allowed) == ("applyingEnv", "cancel", True)


def test_unknown_state_lists_the_known_states() -> None:
    """An unknown state is refused, and the reason says which states exist."""
    result = check_app_operation("healthy", "stop")
    assert result.allowed is False
    assert result.allowed_operations == []
    assert "unknown app state 'healthy'" in result.reason
    for name in load_app_states().state_names:
        assert name in result.reason


def test_unknown_operation_lists_the_known_operations() -> None:
    """An unknown operation is refused, and the state's accepted operations still come back."""
    result = check_app_operation("running", "restart")
    assert result.allowed is False
    assert result.state == "running"
    assert result.allowed_operations == ["uninstall", "upgrade", "env", "stop"]
    assert "unknown operation 'restart'" in result.reason
    for op in load_app_states().operation_names:
        assert op in result.reason


def test_unknown_state_and_operation_are_both_reported() -> None:
    """Both problems are named in one reason."""
    result = check_app_operation("", "delete")
    assert result.allowed is False
    assert "unknown app state ''" in result.reason
    assert "unknown operation 'delete'" in result.reason


def test_refusals_say_what_to_do_instead() -> None:
    """In-flight apps point at cancel, settled apps at upgrade, busy states at waiting."""
    assert "cancel it first" in check_app_operation("initializing", "uninstall").reason
    assert "use upgrade" in check_app_operation("running", "install").reason
    assert "wait until" in check_app_operation("uninstalling", "cancel").reason


def test_market_cancel_caveat_is_attached_where_it_applies() -> None:
    """Cancel in resuming/upgrading is allowed by app-service but Market only passes it from 1.12.7."""
    assert "1.12.7" in check_app_operation("upgrading", "cancel").reason
    assert "1.12.7" not in check_app_operation("downloading", "cancel").reason


# --- the validator rejects tampered documents ---------------------------------------


def _tampered(edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    doc = copy.deepcopy(_raw_document())
    edit(doc)
    return doc


def _add_transition(doc: dict[str, Any], **fields: Any) -> None:
    doc["transitions"].append({"trigger": "tampered", "operation": None, **fields})


TAMPERINGS = {
    "transition to unknown state": (
        lambda d: _add_transition(d, **{"from": "running", "to": "exploded"}),
        "unknown state 'exploded'",
    ),
    "transition from unknown state": (
        lambda d: _add_transition(d, **{"from": "limbo", "to": "running"}),
        "unknown state 'limbo'",
    ),
    "undeclared allowed operation": (
        lambda d: _state(d, "running")["allowed_operations"].append("restart"),
        "undeclared operation 'restart'",
    ),
    "operation removed but still allowed": (
        lambda d: d.update(operations=[o for o in d["operations"] if o["name"] != "resume"]),
        "undeclared operation 'resume'",
    ),
    "transition driven by a refused operation": (
        lambda d: _add_transition(d, **{"from": "pending", "to": "uninstalling", "operation": "uninstall"}),
        "which 'pending' refuses",
    ),
    "allowed operation with no transition": (
        lambda d: _state(d, "uninstalling")["allowed_operations"].append("cancel"),
        "no transition leaves it by 'cancel'",
    ),
    "terminal flag contradicts bucket": (
        lambda d: _state(d, "downloading").update(terminal=True),
        "contradicts bucket",
    ),
    "state in undeclared bucket": (
        lambda d: _state(d, "running").update(bucket="healthy"),
        "undeclared bucket 'healthy'",
    ),
    "duplicate state": (
        lambda d: d["states"].append(copy.deepcopy(_state(d, "running"))),
        "duplicate state 'running'",
    ),
    "states differing only in case": (
        lambda d: d["states"].append({**copy.deepcopy(_state(d, "stopped")), "name": "Stopped"}),
        "duplicate state 'stopped'",
    ),
    "TTL for unknown state": (
        lambda d: d["ttls"].append({"state": "sleeping", "duration": "1h", "seconds": 3600, "phase": None}),
        "TTL names unknown state 'sleeping'",
    ),
    "TTL for a terminal state": (
        lambda d: d["ttls"].append({"state": "running", "duration": "1h", "seconds": 3600, "phase": None}),
        "terminal state 'running'",
    ),
    "caveat on a refused operation": (
        lambda d: d["gate_caveats"].append({"state": "running", "operation": "cancel", "note": "x"}),
        "gate does not allow",
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERINGS))
def test_validator_rejects_inconsistent_documents(case: str) -> None:
    """Each kind of inconsistency raises ValueError naming the problem."""
    edit, message = TAMPERINGS[case]
    doc = _tampered(edit)
    with pytest.raises(ValueError, match=re.escape(message)):
        AppStates.model_validate(doc)


def test_validator_accepts_the_untampered_document() -> None:
    """The tampering tests start from a document the validator accepts."""
    assert AppStates.model_validate(_raw_document()) == load_app_states()


# --- package surface ----------------------------------------------------------------


def test_public_surface_is_declared_and_sorted() -> None:
    """__all__ lists real names in isort order (constants, classes, functions)."""

    def group(name: str) -> int:
        return 0 if name.isupper() else 1 if name[0].isupper() else 2

    assert platform.__all__ == sorted(platform.__all__, key=lambda n: (group(n), n))
    for name in platform.__all__:
        assert hasattr(platform, name)


def test_package_does_not_import_mcp() -> None:
    """The knowledge layer stays free of the MCP SDK."""
    source = resources.files(platform).joinpath("__init__.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from)\s+mcp\b", source, flags=re.MULTILINE)
