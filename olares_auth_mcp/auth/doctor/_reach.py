"""The session's reach: how a login and a confirmation get to the human through the connected MCP client.

``routes`` is the one mapping from what the client declared to the paths that exist in this server
today: the client (elicitation), else a page the server opens in the human's browser (when it runs on the
human's machine and a browser can appear), else the URL in the result / the command for a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from olares_auth_mcp.auth.commands import OLARES_CLI
from olares_auth_mcp.auth.doctor._model import Audience, Finding

__all__ = ["ConfirmRoute", "LoginRoute", "SessionReach", "reach_finding", "routes"]

LoginRoute = Literal["url-elicitation", "browser", "url-in-result"]
"""``url-elicitation``: the client shows the human the one-time page; ``browser``: the server opens it in the
human's browser; ``url-in-result``: start_login returns the page URL and the agent must show it to the human."""
ConfirmRoute = Literal["form-elicitation", "browser", "cli-only"]
"""``form-elicitation``: the client asks the human; ``browser``: a confirmation page the server opens in the
human's browser; ``cli-only``: the tool refuses and names the command."""

FORM_SINCE: Final = "2025-06-18"  # elicitation entered the protocol
URL_SINCE: Final = "2025-11-25"  # URL-mode elicitation entered the protocol


@dataclass(frozen=True)
class SessionReach:
    """What the connected client declared, as plain values (the library never imports ``mcp``)."""

    protocol_version: str | None
    form_elicitation: bool
    url_elicitation: bool
    browser: bool = False  # the server runs on the human's machine and can open a page in their browser


def _since(version: str | None, first: str) -> bool:
    return version is None or version >= first  # protocol versions are ISO dates: text order is time order


def routes(session: SessionReach) -> tuple[LoginRoute, ConfirmRoute]:
    url = session.url_elicitation and _since(session.protocol_version, URL_SINCE)
    form = session.form_elicitation and _since(session.protocol_version, FORM_SINCE)
    login: LoginRoute = "url-elicitation" if url else "browser" if session.browser else "url-in-result"
    confirm: ConfirmRoute = "form-elicitation" if form else "browser" if session.browser else "cli-only"
    return login, confirm


def session_json(session: SessionReach | None) -> dict[str, object] | None:
    if session is None:
        return None
    login, confirm = routes(session)
    return {
        "protocol_version": session.protocol_version,
        "form_elicitation": session.form_elicitation,
        "url_elicitation": session.url_elicitation,
        "browser": session.browser,
        "login_route": login,
        "confirmation_route": confirm,
    }


def reach_finding(session: SessionReach | None, audience: Audience, cli: str = OLARES_CLI) -> Finding:
    if session is None:
        return Finding(
            "session.reach",
            "skipped",
            f"not an MCP session: from a terminal, a login reads the password there ({cli} profile login)",
        )
    login, confirm = routes(session)
    version = session.protocol_version or "unknown"
    login_text = {
        "url-elicitation": "a login's one-time page reaches the human through the client (URL elicitation)",
        "browser": "the server opens a login's one-time page in the human's browser (no URL elicitation)",
    }.get(login, "start_login returns the one-time page URL in its result: show it to the human (no URL elicitation)")
    if confirm != "cli-only":
        where = "in the client" if confirm == "form-elicitation" else "on a page opened in the human's browser"
        return Finding(
            "session.reach",
            "ok",
            f"protocol {version}; {login_text}; confirmations (profile_remove) are asked {where}",
        )
    command = f"{cli} profile remove <name>"
    return Finding(
        "session.reach",
        "warn",
        f"protocol {version}; {login_text}; this client declared no form elicitation, so profile_remove "
        "cannot ask the human and refuses",
        f"tell the human to run `{command}` in a terminal when a removal is needed"
        if audience == "agent"
        else f"run `{command}` in a terminal",
    )
