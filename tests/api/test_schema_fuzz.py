"""schemathesis against the running API, as an officer, an admin, an auditor and a resident (and
signed out): no server error, every answer as the OpenAPI schema says (status code declared, body
and headers conforming). A node of its own, so that what the fuzzer creates (staged records, new
access codes, directory entries) cannot change what the other API tests see. Examples are bounded to
keep the suite fast; `ledger bench faults` runs longer."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from eth_account import Account
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Api, _serve
from tests.api.test_flows import AUDITOR, CA_OFFICER, RC_ADMIN, RC_OFFICER
from tests.store.conftest import national_id

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# What no generated input can reach, or what is not JSON by design: server-sent streams, the portal's pages.
SKIP = {"/portal/config"}


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from _serve(Path(tmp_path_factory.mktemp("fuzz")) / "home", None)


@pytest.fixture(scope="module")
def api_schema(fuzz_api: Api) -> Any:
    return schemathesis.openapi.from_url(fuzz_api.url + "/openapi.json")


@pytest.fixture(scope="module")
def tokens(fuzz_api: Api) -> dict[str, str | None]:
    officer = fuzz_api.signed_in(RC_OFFICER)
    resident, nid = Account.create(), national_id()
    officer.act("POST", "/residents/enrol", {"nationalId": nid})  # rc-east's resident: rc-east links their wallet
    officer.act("POST", "/residents", {"account": resident.address, "nationalId": nid})
    roles: dict[str, str | None] = {"signed out": None}
    for role, who in (("officer", CA_OFFICER), ("admin", RC_ADMIN), ("auditor", AUDITOR), ("resident", resident)):
        roles[role] = fuzz_api.signed_in(who).token
    return roles


def test_every_answer_is_declared_and_no_input_is_a_server_error(
    api_schema: Any, tokens: dict[str, str | None], fuzz_api: Api
) -> None:
    roles = list(tokens)
    turns = itertools.count()
    failures: list[str] = []
    operations = 0
    for found in api_schema.get_all_operations():
        operation = found.ok()
        if operation.path in SKIP:
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            def fuzz(case: Any) -> None:
                token = tokens[roles[next(turns) % len(roles)]]  # each operation in turn as each role
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                case.call_and_validate(base_url=fuzz_api.url, headers=headers, checks=CHECKS, timeout=30)

            try:
                fuzz()
            except Unsatisfiable:  # an operation with no input to make invalid
                assert mode is GenerationMode.NEGATIVE, operation.label
            except BaseException as exc:  # noqa: BLE001 — every operation is tried; all failures are reported
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} ({mode.value}): {str(exc)[:600]}")
    assert operations > 40
    assert failures == [], "\n\n".join(failures)
