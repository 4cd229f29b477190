"""app-service's app lifecycle as data: the model of ``app_states.json``, its loader, and the gate check.

The packaged ``app_states.json`` restates beclab/Olares
``cli/skills/olares-shared/references/olares-platform-appstate.md``: the states, the
buckets an agent treats alike, the operations app-service's gate accepts in each state,
the transitions and the TTLs. ``load_app_states`` parses it into frozen pydantic models
and checks it for internal consistency; ``app_states_json`` serves the file as shipped;
``check_app_operation`` answers whether an operation is accepted in a state.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from importlib import resources
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AppStates",
    "Bucket",
    "GateCaveat",
    "Operation",
    "OperationCheck",
    "State",
    "Transition",
    "Ttl",
    "app_states_json",
    "check_app_operation",
    "load_app_states",
]

_PACKAGE: Final = __name__.rpartition(".")[0]  # the data file sits beside this module
_APP_STATES_JSON: Final = "app_states.json"


def _packaged() -> str:
    return resources.files(_PACKAGE).joinpath(_APP_STATES_JSON).read_text(encoding="utf-8")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Bucket(_Frozen):
    """A group of states that an agent treats alike (progressing, failure, ...)."""

    name: str
    description: str


class Operation(_Frozen):
    """An operation a client can ask app-service to perform on an app."""

    name: str
    description: str


class State(_Frozen):
    """One app-service state and the operations its gate accepts."""

    name: str
    bucket: str
    description: str
    terminal: bool
    allowed_operations: tuple[str, ...]


class Transition(_Frozen):
    """An edge of the state machine; ``operation`` is set when a request drives it."""

    from_state: str = Field(alias="from")
    to_state: str = Field(alias="to")
    trigger: str
    operation: str | None = None


class Ttl(_Frozen):
    """How long app-service lets a state (or one phase of it) run before giving up."""

    state: str
    duration: str
    seconds: int = Field(gt=0)
    phase: str | None = None


class GateCaveat(_Frozen):
    """A limit on an allowed operation that lives outside app-service's gate."""

    state: str
    operation: str
    note: str


class AppStates(_Frozen):
    """app-service's app lifecycle, checked for internal consistency when built.

    Raises (from ``model_validate``):
        pydantic.ValidationError: a ``ValueError`` listing every inconsistency: a
            duplicate name, a state in an undeclared bucket, an allowed operation
            that is not declared, ``terminal`` disagreeing with the bucket, a
            transition or TTL naming an unknown state, a transition driven by an
            operation its source state does not accept, or an accepted operation
            with no transition.
    """

    source: str
    buckets: tuple[Bucket, ...]
    states: tuple[State, ...]
    operations: tuple[Operation, ...]
    transitions: tuple[Transition, ...]
    ttls: tuple[Ttl, ...]
    max_concurrent_downloads: int = Field(ge=1)
    gate_caveats: tuple[GateCaveat, ...] = ()
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_consistency(self) -> AppStates:
        problems = _consistency_problems(self)
        if problems:
            raise ValueError("inconsistent app state document: " + "; ".join(problems))
        return self

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def operation_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.operations)

    def state(self, name: str) -> State | None:
        """Return the state called ``name`` (exact spelling), or ``None``."""
        return next((s for s in self.states if s.name == name), None)


# The bucket whose states are still being worked on; all others are terminal.
_PROGRESSING: Final = "progressing"


def _duplicates(names: list[str]) -> list[str]:
    return sorted(n for n, count in Counter(names).items() if count > 1)


def _consistency_problems(doc: AppStates) -> list[str]:
    problems: list[str] = []
    # Lookups ignore case, so names must stay distinct once case is folded.
    for kind, names in (
        ("bucket", [b.name for b in doc.buckets]),
        ("state", list(doc.state_names)),
        ("operation", list(doc.operation_names)),
    ):
        problems += [f"duplicate {kind} {n!r} (ignoring case)" for n in _duplicates([n.casefold() for n in names])]

    buckets = {b.name for b in doc.buckets}
    states = {s.name: s for s in doc.states}
    operations = set(doc.operation_names)
    for s in doc.states:
        if s.bucket not in buckets:
            problems.append(f"state {s.name!r} is in undeclared bucket {s.bucket!r}")
        if s.terminal != (s.bucket != _PROGRESSING):
            problems.append(f"state {s.name!r}: terminal={s.terminal} contradicts bucket {s.bucket!r}")
        problems += [
            f"state {s.name!r} allows undeclared operation {op!r}"
            for op in s.allowed_operations
            if op not in operations
        ]
        problems += [f"state {s.name!r} lists operation {op!r} twice" for op in _duplicates(list(s.allowed_operations))]

    driven: set[tuple[str, str]] = set()
    for t in doc.transitions:
        edge = f"{t.from_state!r} -> {t.to_state!r}"
        for end in (t.from_state, t.to_state):
            if end not in states:
                problems.append(f"transition {edge} names unknown state {end!r}")
        if t.operation is None:
            continue
        if t.operation not in operations:
            problems.append(f"transition {edge} is driven by undeclared operation {t.operation!r}")
        elif t.from_state in states and t.operation not in states[t.from_state].allowed_operations:
            problems.append(f"transition {edge} is driven by {t.operation!r}, which {t.from_state!r} refuses")
        driven.add((t.from_state, t.operation))
    for s in doc.states:
        problems += [
            f"state {s.name!r} allows {op!r} but no transition leaves it by {op!r}"
            for op in s.allowed_operations
            if op in operations and (s.name, op) not in driven
        ]

    for ttl in doc.ttls:
        if ttl.state not in states:
            problems.append(f"TTL names unknown state {ttl.state!r}")
        elif states[ttl.state].terminal:
            problems.append(f"TTL given for terminal state {ttl.state!r}")
    for c in doc.gate_caveats:
        if c.state not in states or c.operation not in states[c.state].allowed_operations:
            problems.append(f"gate caveat for {c.operation!r} in {c.state!r}, which the gate does not allow")
    return problems


@functools.cache
def load_app_states() -> AppStates:
    """Parse and check the packaged ``app_states.json`` (once; the result is frozen).

    Raises:
        ValueError: the packaged document is not valid JSON or is inconsistent.
    """
    return AppStates.model_validate(json.loads(_packaged()))


class OperationCheck(BaseModel):
    """Whether app-service's gate accepts ``operation`` for an app in ``state``."""

    state: str
    operation: str
    allowed: bool
    reason: str
    allowed_operations: list[str]


def app_states_json() -> str:
    """The packaged ``app_states.json`` as shipped (its own field names, e.g. ``from``/``to``), once it checks out.

    Raises:
        ValueError: the packaged file is inconsistent (see ``load_app_states``).
    """
    load_app_states()
    return _packaged()


def _lookup(name: str, known: tuple[str, ...]) -> str | None:
    wanted = name.strip().casefold()
    return next((k for k in known if k.casefold() == wanted), None)


def check_app_operation(state: str, operation: str) -> OperationCheck:
    """Say whether app-service accepts ``operation`` while an app is in ``state``.

    Names match case-insensitively after trimming whitespace; the result carries
    the canonical spelling. An unknown state or operation is never allowed, and
    the reason lists the known values. Use the state ``none`` for an app that has
    no state row yet.
    """
    doc = load_app_states()
    state_name = _lookup(state, doc.state_names)
    op_name = _lookup(operation, doc.operation_names)
    found = doc.state(state_name) if state_name is not None else None
    accepted = list(found.allowed_operations) if found is not None else []
    if found is None or op_name is None:
        unknown: list[str] = []
        if found is None:
            unknown.append(f"unknown app state {state.strip()!r}; known states: {', '.join(doc.state_names)}")
        if op_name is None:
            unknown.append(
                f"unknown operation {operation.strip()!r}; known operations: {', '.join(doc.operation_names)}"
            )
        return OperationCheck(
            state=state_name or state.strip(),
            operation=op_name or operation.strip(),
            allowed=False,
            reason="; ".join(unknown),
            allowed_operations=accepted,
        )

    allowed = op_name in accepted
    if allowed:
        reason = f"app-service accepts {op_name} while an app is in state {found.name}"
        reason += "".join(f". {c.note}" for c in doc.gate_caveats if (c.state, c.operation) == (found.name, op_name))
    else:
        reason = _refusal(found, op_name)
    return OperationCheck(
        state=found.name,
        operation=op_name,
        allowed=allowed,
        reason=reason,
        allowed_operations=accepted,
    )


def _refusal(state: State, operation: str) -> str:
    head = f"app-service refuses {operation} while an app is in state {state.name}"
    accepted = state.allowed_operations
    if not accepted:
        return f"{head}: it accepts no operation there; wait until the app reaches a terminal state"
    if "cancel" in accepted and not state.terminal:
        return (
            f"{head}: an operation is in progress; cancel it first and wait for a terminal state, "
            f"then retry {operation}"
        )
    if operation == "install" and "upgrade" in accepted:
        return f"{head}: the app is already installed; use upgrade instead (accepted here: {', '.join(accepted)})"
    return f"{head}; accepted here: {', '.join(accepted)}"
