"""Olares platform knowledge, as text and data for MCP resources.

This package restates what the olares-cli ``olares-shared`` skill carries about the
platform (never about auth):

* ``model.md``: the storage areas, the uid/gid 1000 run identity, the reserved
  ``drive/Home`` directories, namespaces, middleware and versions;
* ``app_states.md`` and ``app_states.json``: app-service's app lifecycle, as prose
  and as data;
* ``routing.md``: which skill of the suite owns which request.

``texts`` loads the Markdown (``load_text``) and names the reference each restates
(``SOURCES``); ``app_states`` holds the app-state model, its loader and the gate check
(``check_app_operation``). It imports nothing from ``mcp``, so the server layer decides
how to expose it.
"""

from __future__ import annotations

from olares_auth_mcp.prompts.platform.app_states import (
    AppStates,
    Bucket,
    GateCaveat,
    Operation,
    OperationCheck,
    State,
    Transition,
    Ttl,
    app_states_json,
    check_app_operation,
    load_app_states,
)
from olares_auth_mcp.prompts.platform.texts import SOURCES, ResourceName, load_text

__all__ = [
    "SOURCES",
    "AppStates",
    "Bucket",
    "GateCaveat",
    "Operation",
    "OperationCheck",
    "ResourceName",
    "State",
    "Transition",
    "Ttl",
    "app_states_json",
    "check_app_operation",
    "load_app_states",
    "load_text",
]
