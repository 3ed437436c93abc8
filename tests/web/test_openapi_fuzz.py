"""The API against its own OpenAPI document (schemathesis): for generated requests to every
operation, signed in with the CSRF header, no answer is a server error and every answer has the
status code, content type and body its document declares.

The examples per operation are few (the suite stays fast); the users and audit routes are left
out because a generated request could remove the accounts the run itself uses.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from remission.examples import example_paths
from remission.web.testing import LiveServer

from .conftest import PASSWORDS

EXAMPLES = 4
SKIPPED = ("/api/users", "/api/audit", "/api/auth/logout", "/api/auth/login")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.slow
def test_every_operation_keeps_its_documented_contract(live: LiveServer) -> None:
    session = requests.Session()
    login = session.post(
        live.url + "/api/auth/login", json={"username": "editor", "password": PASSWORDS["editor"]}
    )
    assert login.status_code == 200
    session.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    seed = next(p for p in example_paths() if "synthetic-annotated" in str(p))
    created = session.post(
        live.url + "/api/cases",
        data=Path(seed).read_bytes(),
        headers={"content-type": "application/yaml"},
    )
    assert created.status_code == 201

    schema = schemathesis.openapi.from_url(
        live.url + "/api/openapi.json", headers={"Cookie": _cookie(session)}
    )
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(SKIPPED):
            continue
        tested += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=live.url, session=session)
            case.validate_response(response, checks=CHECKS)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check()
    assert tested >= 20


def _cookie(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)
