"""The platform resources' Markdown texts, and the public reference each one restates."""

from __future__ import annotations

from importlib import resources
from typing import Final, Literal

__all__ = ["SOURCES", "ResourceName", "load_text"]

_PACKAGE: Final = __name__.rpartition(".")[0]  # the data files sit beside this module

ResourceName = Literal["model", "app_states", "routing"]

_REPO: Final = "beclab/Olares"
_SHARED: Final = "cli/skills/olares-shared"

SOURCES: Final[dict[str, str]] = {
    "app_states": f"{_REPO} {_SHARED}/references/olares-platform-appstate.md",
    "model": f"{_REPO} {_SHARED}/references/olares-platform.md",
    "routing": f"{_REPO} {_SHARED}/references/olares-suite-map.md",
}
"""The public reference file each resource restates, as ``"<repo> <path>"``."""

_TEXT_FILES: Final[dict[str, str]] = {
    "app_states": "app_states.md",
    "model": "model.md",
    "routing": "routing.md",
}


def load_text(name: ResourceName) -> str:
    """Return the Markdown text of one platform resource.

    Raises:
        ValueError: ``name`` is not one of ``model``, ``app_states``, ``routing``.
    """
    try:
        filename = _TEXT_FILES[name]
    except KeyError:
        known = ", ".join(sorted(_TEXT_FILES))
        raise ValueError(f"unknown platform text {name!r}; known: {known}") from None
    return resources.files(_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
