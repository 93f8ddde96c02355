"""An independent client in JavaScript (examples/verify.mjs: ethers and @openzeppelin/merkle-tree, with
the ABIs from GET /contracts) verifies a disclosure bundle and a trail bundle against the chain, and
names the check that fails on a tampered one."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.api.conftest import Api
from tests.api.test_flows import RC_OFFICER, granted_record
from tests.api.test_trail import wait_for

ROOT = Path(__file__).resolve().parents[2]


def verify(api: Api, tmp_path: Path, **files: Any) -> tuple[int, dict[str, Any]]:
    args = ["node", str(ROOT / "examples" / "verify.mjs"), "--api", api.url, "--rpc", api.settings.effective_rpc_url]
    for name, doc in files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc))
        args += [f"--{name}", str(path)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)
    return proc.returncode, json.loads(proc.stdout)


def test_the_javascript_client_verifies_both_bundles_against_the_chain(api: Api, tmp_path: Path) -> None:
    assert shutil.which("node")
    nid, record_id, _grant, reader = granted_record(api)
    read = reader.read(record_id, ["address", "income_band"], "subsistence_review")
    code = api.signed_in(RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    trail = wait_for(lambda: _anchored(api.client().request("POST", "/trail/by-code/bundle", json={"code": code})))

    status, report = verify(api, tmp_path, disclosure=read["bundle"], trail=trail)
    assert status == 0, report
    assert report["disclosure"]["fields"] == {"address": "Test Lane 1", "income_band": "low"}
    assert (report["trail"]["events"], report["trail"]["anchored"]) == (1, 1)

    forged = json.loads(json.dumps(read["bundle"]))
    forged["fields"][0]["value"] = "Somewhere Else 2"
    status, report = verify(api, tmp_path, disclosure=forged)
    assert (status, report["check"]) == (1, "disclosure.field")
    altered = json.loads(json.dumps(trail))
    altered["events"][0]["purpose"] = "statistics"
    status, report = verify(api, tmp_path, trail=altered)
    assert (status, report["check"]) == (1, "trail.event_hash")


def _anchored(bundle: dict[str, Any]) -> dict[str, Any]:
    assert bundle["events"] and all(e["proof"] is not None for e in bundle["events"])
    return bundle
