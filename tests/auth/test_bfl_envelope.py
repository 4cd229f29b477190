"""BFL envelopes: olares-cli takes code 0 and code 200 as success (user-service answers 200 on some routes)."""

from __future__ import annotations

import httpx
import pytest

from olares_auth_mcp.auth.errors import ServerError
from olares_auth_mcp.auth.wire import bfl_data


@pytest.mark.parametrize("code", [0, 200])
def test_code_0_and_200_are_success(code: int) -> None:
    response = httpx.Response(200, json={"code": code, "message": "", "data": {"osVersion": "1.12.6"}})
    assert bfl_data(response, "olares-info") == {"osVersion": "1.12.6"}


def test_a_missing_code_is_success() -> None:
    assert bfl_data(httpx.Response(200, json={"data": {"a": 1}}), "x") == {"a": 1}


@pytest.mark.parametrize("code", [1, 500, 201, True, "200"])
def test_any_other_code_is_an_error(code: object) -> None:
    response = httpx.Response(200, json={"code": code, "message": "nope", "data": {}})
    with pytest.raises(ServerError, match='olares-info: server said: "nope"'):
        bfl_data(response, "olares-info")
