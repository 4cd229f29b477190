"""The secret-entry page's HTML: plain forms, no script, every value escaped.

Nothing a login program or a server wrote is shown here: failures and unknown prompts
get fixed sentences. What is shown — the Olares ID and the auth host the secret goes
to — comes from the server, and is cleaned of invisible characters and escaped anyway.
"""

from __future__ import annotations

from html import escape
from typing import Final

from olares_auth_mcp.login._text import untrusted_text

_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1b1b1b}"
    "h1{font-size:1.4rem}label{display:block;font-weight:600;margin-top:1rem}"
    "input{font-size:1.1rem;padding:.4rem;width:100%;box-sizing:border-box}"
    "button{margin-top:1rem;font-size:1.1rem;padding:.5rem 1.2rem}"
    ".note{color:#555;font-size:.95rem}.msg{background:#fff4e5;padding:.5rem .8rem;border-radius:4px}"
    "code{background:#f2f2f2;padding:0 .2rem}"
    ".dest{background:#eef4ff;border-left:4px solid #2f6fde;padding:.5rem .8rem;border-radius:4px}"
    ".dest strong{font-family:ui-monospace,monospace;word-break:break-all}"
)
_MAX_SHOWN: Final = 320  # an Olares ID or host name is shorter; anything longer is cut

# The fixed sentences a failure is shown with (never the program's or the server's text).
FAILED_LOGIN: Final = "The login did not succeed."
FAILED_CODE: Final = "That code was not accepted."
FAILED_ECHO: Final = "Nothing was sent: the login program would have shown your password on the screen."

INVALID_LINK_TITLE: Final = "This link cannot be used"


def _page(title: str, body: str, *, head: str = "") -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head}<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def _shown(text: str) -> str:
    return escape(untrusted_text(text, _MAX_SHOWN))


def _destination(what: str, auth_host: str) -> str:
    return (
        f'<p class="dest">Your {what} goes to <strong>{_shown(auth_host)}</strong>.'
        " If that is not your Olares, close this page.</p>"
    )


def _message(message: str | None) -> str:
    return f'<p class="msg" role="alert">{escape(message)}</p>' if message else ""


# The header policy is no-referrer; with it Chromium sends `Origin: null` on a form POST,
# which the same-origin check must reject. Relaxing the form page to same-origin sends a
# real Origin (and the Referer only back to this same server, which already knows the URL).
_FORM_HEAD: Final = '<meta name="referrer" content="same-origin">'


def password_form(olares_id: str, auth_host: str, message: str | None = None) -> str:
    oid = _shown(olares_id)
    body = (
        f"<p>Olares ID: <strong>{oid}</strong></p>{_destination('password', auth_host)}{_message(message)}"
        '<form method="post">'
        f'<input type="text" name="username" autocomplete="username" value="{oid}" hidden readonly>'
        '<label for="password">Password</label>'
        '<input id="password" type="password" name="password" autocomplete="current-password"'
        " required autofocus>"
        '<button type="submit">Log in</button></form>'
        '<p class="note">The password goes into the <code>profile login</code> running on this computer,'
        " which sends it only to the host above. It is not shown to your assistant and is not stored. If"
        " the account uses two-factor authentication, this page asks for the code next. The link works for"
        " this one login only.</p>"
    )
    return _page("Log in to Olares", body, head=_FORM_HEAD)


def code_form(olares_id: str, auth_host: str, message: str | None = None) -> str:
    body = (
        f"<p>Olares ID: <strong>{_shown(olares_id)}</strong></p>{_destination('code', auth_host)}"
        f"{_message(message)}"
        '<form method="post">'
        '<label for="code">Two-factor code</label>'
        '<input id="code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code"'
        ' pattern="[0-9]{6,8}" minlength="6" maxlength="8" required autofocus>'
        '<button type="submit">Verify</button></form>'
        '<p class="note">Enter the current code from your authenticator app. It goes into the login'
        " running on this computer, which sends it only to the host above; your assistant does not see it.</p>"
    )
    return _page("Two-factor code", body, head=_FORM_HEAD)


def succeeded(olares_id: str) -> str:
    body = (
        f"<p>Logged in as <strong>{_shown(olares_id)}</strong>.</p>"
        '<p class="note">You can close this page; your assistant sees the result. This link no longer'
        " works.</p>"
    )
    return _page("Logged in", body)


def failed(olares_id: str, reason: str) -> str:
    """``reason`` is one of the fixed ``FAILED_*`` sentences."""
    body = (
        f"<p>{escape(reason)}</p><p>Olares ID: <strong>{_shown(olares_id)}</strong></p>"
        '<p class="note">This link no longer works. Ask your assistant to start a new login to try'
        " again.</p>"
    )
    return _page("Login failed", body)


def working(olares_id: str) -> str:
    body = f"<p>The login for <strong>{_shown(olares_id)}</strong> is in progress. This page reloads itself.</p>"
    return _page("Please wait", body, head='<meta http-equiv="refresh" content="2">')


def unknown_prompt(olares_id: str) -> str:
    body = (
        f"<p>The login for <strong>{_shown(olares_id)}</strong> is waiting for something this page"
        " does not know how to answer.</p>"
        '<p class="note">Nothing can be entered here. Ask your assistant to cancel this login.</p>'
    )
    return _page("Unexpected prompt", body)


def invalid_link() -> str:
    """One body for unknown, used and expired links alike: it must not tell them apart."""
    body = (
        "<p>Login links work once and only for a few minutes.</p>"
        '<p class="note">Ask your assistant for a new login link.</p>'
    )
    return _page(INVALID_LINK_TITLE, body)


def no_destination(olares_id: str) -> str:
    body = (
        f"<p>This page cannot tell where the password for <strong>{_shown(olares_id)}</strong> would go,"
        " so it does not ask for it.</p>"
        '<p class="note">Ask your assistant to cancel this login.</p>'
    )
    return _page("Login not possible here", body)


def refused(reason: str) -> str:
    return _page("Request refused", f"<p>{escape(reason)}</p>")
