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
    ":root{color-scheme:light}"
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f3f5f9;"
    "color:#1b1f29;line-height:1.5}"
    ".bar{background:#10131a;color:#fff;padding:.7rem 1rem}"
    ".bar div{max-width:30rem;margin:0 auto;display:flex;align-items:center;gap:.6rem;font-weight:600;"
    "letter-spacing:.02em}"
    ".bar span{font-weight:400;color:#aeb6c6;font-size:.9rem;margin-left:auto}"
    "main{max-width:30rem;margin:2rem auto;padding:1.6rem 1.8rem;background:#fff;border-radius:12px;"
    "box-shadow:0 1px 3px rgba(16,19,26,.08),0 8px 24px rgba(16,19,26,.06)}"
    "h1{font-size:1.35rem;margin:0 0 .8rem}"
    "label{display:block;font-weight:600;margin-top:1rem}"
    "input{font-size:1.1rem;padding:.55rem .7rem;width:100%;box-sizing:border-box;border:1px solid #c5cbd6;"
    "border-radius:8px}"
    "input:focus{outline:2px solid #2f6fde;border-color:#2f6fde}"
    "button{font-size:1.05rem;padding:.55rem 1.3rem;border-radius:8px;border:1px solid #1d5fd0;"
    "background:#2f6fde;color:#fff;cursor:pointer}"
    "button.quiet{background:#fff;color:#3b4252;border-color:#c5cbd6}"
    ".row{display:flex;gap:.6rem;align-items:center;margin-top:1rem;flex-wrap:wrap}"
    ".row form{margin:0}"
    ".note{color:#5b6372;font-size:.92rem}"
    ".facts{margin:0 0 .6rem;padding:0;list-style:none;font-size:.95rem}"
    ".facts li{padding:.15rem 0}.facts b{display:inline-block;min-width:7.5rem;color:#5b6372;font-weight:500}"
    ".msg{background:#fff4e5;border-left:4px solid #e8900c;padding:.5rem .8rem;border-radius:6px}"
    ".ok{background:#eaf7ee;border-left:4px solid #2e9e57;padding:.5rem .8rem;border-radius:6px}"
    "code{background:#f2f4f8;padding:0 .25rem;border-radius:4px}"
    ".dest{background:#eef4ff;border-left:4px solid #2f6fde;padding:.5rem .8rem;border-radius:6px}"
    ".dest strong,.facts strong{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}"
)
# A plain mark (rings around a dot), drawn inline: the page loads nothing from anywhere.
_LOGO: Final = (
    '<svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true">'
    '<circle cx="16" cy="16" r="14" fill="none" stroke="#fff" stroke-width="3"/>'
    '<circle cx="16" cy="16" r="7.5" fill="none" stroke="#7fa8ff" stroke-width="3"/>'
    '<circle cx="16" cy="16" r="2.5" fill="#fff"/></svg>'
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
        f'<body><header class="bar"><div>{_LOGO}Olares<span>sign-in on this computer</span></div></header>'
        f"<main><h1>{escape(title)}</h1>{body}</main></body></html>\n"
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


def _tries(left: int) -> str:
    return f"{left} try left." if left == 1 else f"{left} tries left."


def wrong_secret(kind: str, olares_id: str, tries_left: int, *, restarted: bool = False) -> str:
    """The fixed sentence for a wrong password or code (``olares_id`` is cleaned when shown)."""
    left = _tries(tries_left) if tries_left else "No tries left."
    if kind == "password":
        return f"That password didn't work for {untrusted_text(olares_id, _MAX_SHOWN)}. {left}"
    again = " Enter your password again, then a new code." if restarted and tries_left else ""
    return f"That code didn't work. {left}{again}"


def time_left(seconds: float | None) -> str:
    """``About 4 minutes left.`` (rounded up), rendered when the page is requested; ``""`` when unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return "Less than a minute left."
    minutes = int(-(-seconds // 60))
    return f"About {minutes} minutes left." if minutes > 1 else "About 1 minute left."


def _facts(olares_id: str, client_name: str, seconds_left: float | None) -> str:
    rows = [f"<li><b>Olares ID</b> <strong>{_shown(olares_id)}</strong></li>"]
    if client_name:
        rows.append(f"<li><b>Asked for by</b> {_shown(client_name)}</li>")
    left = time_left(seconds_left)
    if left:
        rows.append(f"<li><b>Time left</b> {escape(left)}</li>")
    return f'<ul class="facts">{"".join(rows)}</ul>'


_CANCEL: Final = (
    '<form method="post"><input type="hidden" name="action" value="cancel">'
    '<button class="quiet" type="submit" formnovalidate>Cancel login</button></form>'
)


def password_form(
    olares_id: str,
    auth_host: str,
    message: str | None = None,
    *,
    client_name: str = "",
    seconds_left: float | None = None,
) -> str:
    oid = _shown(olares_id)
    body = (
        f"{_facts(olares_id, client_name, seconds_left)}{_destination('password', auth_host)}{_message(message)}"
        '<form method="post" id="login">'
        f'<input type="text" name="username" autocomplete="username" value="{oid}" hidden readonly>'
        '<label for="password">Password</label>'
        '<input id="password" type="password" name="password" autocomplete="current-password"'
        " required autofocus></form>"
        f'<div class="row"><button type="submit" form="login">Log in</button>{_CANCEL}</div>'
        '<p class="note">The password goes into the <code>profile login</code> running on this computer,'
        " which sends it only to the host above. It is not shown to your assistant and is not stored. If"
        " the account uses two-factor authentication, this page asks for the code next. The link works for"
        " this one login only.</p>"
    )
    return _page("Log in to Olares", body, head=_FORM_HEAD)


def code_form(
    olares_id: str,
    auth_host: str,
    message: str | None = None,
    *,
    client_name: str = "",
    seconds_left: float | None = None,
) -> str:
    body = (
        f"{_facts(olares_id, client_name, seconds_left)}{_destination('code', auth_host)}{_message(message)}"
        '<form method="post" id="verify">'
        '<label for="code">Two-factor code</label>'
        '<input id="code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code"'
        ' pattern="[0-9 ]{6,9}" minlength="6" maxlength="9" required autofocus></form>'
        f'<div class="row"><button type="submit" form="verify">Verify</button>{_CANCEL}</div>'
        '<p class="note">Enter the current code from your authenticator app. It goes into the login'
        " running on this computer, which sends it only to the host above; your assistant does not see it.</p>"
    )
    return _page("Two-factor code", body, head=_FORM_HEAD)


def cancelled(olares_id: str) -> str:
    body = (
        f"<p>The login for <strong>{_shown(olares_id)}</strong> was cancelled. Nothing was sent.</p>"
        '<p class="note">This link no longer works. You can close this page.</p>'
    )
    return _page("Login cancelled", body)


def succeeded(olares_id: str) -> str:
    body = (
        f'<p class="ok">Logged in as <strong>{_shown(olares_id)}</strong>.</p>'
        '<p class="note">You can close this page; your assistant sees the result. This link no longer'
        " works.</p>"
    )
    return _page("Logged in", body)


def failed(olares_id: str, reason: str) -> str:
    """``reason`` is one of the fixed ``FAILED_*`` sentences."""
    body = (
        f'<p class="msg">{escape(reason)}</p><p>Olares ID: <strong>{_shown(olares_id)}</strong></p>'
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
