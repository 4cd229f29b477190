"""The login command line the server builds: values stay bound to their flags."""

from __future__ import annotations

from olares_auth_mcp.auth.profiles import ProfileFlags
from olares_auth_mcp.login.service import flag_argv


def test_values_can_never_become_flags() -> None:
    """A model-supplied value like "--password-stdin" stays the value of --name, as one argv element."""
    flags = ProfileFlags.of("alice@olares.com", name="--password-stdin", local_url_prefix="dev.")
    assert flag_argv(flags, no_switch=True) == [
        "--olares-id=alice@olares.com",
        "--name=--password-stdin",
        "--local-url-prefix=dev.",
        "--no-switch",
    ]


def test_unset_flags_are_left_out() -> None:
    assert flag_argv(ProfileFlags.of("a@b.c", insecure_skip_verify=True), no_switch=False) == [
        "--olares-id=a@b.c",
        "--insecure-skip-verify",
    ]
