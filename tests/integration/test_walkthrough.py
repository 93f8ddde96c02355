"""docs/WALKTHROUGH.md, run as written: every `$ ` command of its console blocks, in order, in one
shell, on a fresh system of its own (free ports instead of 8545/8000/8001). A command must succeed,
unless its line says `# refused: CODE`, when it must fail with that error code; where the page shows
JSON output, the command's output still has every key the page shows.

`WALKTHROUGH_RECORD=1` rewrites the page's outputs from this run (long ones shortened)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ledger.local import demo
from tests.support import free_port, free_port_run

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "WALKTHROUGH.md"
REFUSED = re.compile(r"\s+#\s*refused:\s*(\w+)\s*$")
MAX_LINES = 14  # longer outputs are shortened on the page


@dataclass
class Step:
    command: str
    shown: list[str] = field(default_factory=list)
    refused: str | None = None


def steps(text: str) -> list[Step]:
    found: list[Step] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```console"
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            m = REFUSED.search(line)
            found.append(Step(REFUSED.sub("", line[2:]), refused=m.group(1) if m else None))
        elif found:
            found[-1].shown.append(line)
    return found


def shown_keys(shown: str) -> set[str] | None:
    """The keys the page shows of a JSON output (its top level, or its first item's), even shortened."""
    if shown.startswith("{"):
        return set(re.findall(r'^  "([^"]+)":', shown, re.M))
    if shown.startswith("["):
        return set(re.findall(r'^    "([^"]+)":', shown, re.M))
    return None


def output_keys(text: str) -> set[str]:
    doc = json.loads(text)
    if isinstance(doc, list):
        doc = doc[0] if doc else {}
    return set(doc) if isinstance(doc, dict) else set()


def shorten(text: str) -> list[str]:
    lines = text.rstrip("\n").splitlines()
    return lines if len(lines) <= MAX_LINES else lines[: MAX_LINES - 2] + ["…"]


def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    nodes = len(demo.node_bodies())  # `ledger api up` gives each demo body's node a port from :8000 on
    node, api = free_port(), free_port_run(nodes)
    while api <= node < api + nodes:
        api = free_port_run(nodes)
    work, outs = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    outs.mkdir()
    env = {
        **os.environ,
        "LEDGER_HOME": str(tmp_path / "home"),
        "LEDGER_NODE_PORT": str(node),
        "LEDGER_API_PORT": str(api),
        "LEDGER_API_URL": f"http://127.0.0.1:{api}",
        "LEDGER_ROOT": str(ROOT),
    }
    env.pop("LEDGER_BODY", None)
    page = steps(PAGE.read_text(encoding="utf-8"))
    # One shell runs the page: `export` lines carry over; every other command runs from the checkout
    # (scripts/run) or from a scratch folder (the files the page writes), its output kept per step.
    script = [f"cd {ROOT}"]
    for i, step in enumerate(page):
        command = re.sub(r":80(0\d)\b", lambda m: f":{api + int(m.group(1))}", step.command.replace(":8545", f":{node}"))
        if command.startswith("export "):
            script.append(command)
            script.append(f"echo 0 > {outs}/{i}.rc")
            continue
        where = ROOT if command.startswith("scripts/") else work
        script.append(f"(cd {where} && {command}) > {outs}/{i}.out 2> {outs}/{i}.err; echo $? > {outs}/{i}.rc")
    try:
        subprocess.run(["bash", "-c", "\n".join(script)], env=env, timeout=1200, check=False)
    finally:
        subprocess.run(
            ["bash", "-c", f"cd {ROOT} && .venv/bin/ledger api down; .venv/bin/ledger node down"],
            env=env,
            capture_output=True,
            timeout=120,
        )
    ran: list[tuple[Step, str]] = []
    for i, step in enumerate(page):
        rc = int((outs / f"{i}.rc").read_text())
        stdout = (outs / f"{i}.out").read_text() if (outs / f"{i}.out").exists() else ""
        stderr = (outs / f"{i}.err").read_text() if (outs / f"{i}.err").exists() else ""
        if step.refused:
            assert rc == 1, f"expected a refusal: {step.command}\n{stdout}\n{stderr}"
            error = json.loads(stderr[stderr.index("{") :])
            assert error["code"] == step.refused, (step.command, error)
            ran.append((step, json.dumps(error, indent=2)))
            continue
        assert rc == 0, f"{step.command}\nexit {rc}\n{stdout[-2000:]}\n{stderr[-2000:]}"
        keys = shown_keys("\n".join(step.shown))
        if os.environ.get("WALKTHROUGH_RECORD") != "1" and keys is not None:
            missing = keys - output_keys(stdout)
            assert not missing, f"{step.command}: the page shows {sorted(missing)}, which the output no longer has"
        ran.append((step, stdout or stderr))  # what the terminal shows: a summary on stderr when the report went to a file
    if os.environ.get("WALKTHROUGH_RECORD") == "1":

        def as_on_the_page(text: str) -> str:  # the page's fixed ports, not this run's free ones
            text = re.sub(r"(?<=127\.0\.0\.1:)(\d+)\b", lambda m: _page_port(int(m.group(1)), node, api, nodes), text)
            return text.replace(str(tmp_path / "home"), ".ledger")

        record([(step, as_on_the_page(text)) for step, text in ran])


def _page_port(port: int, node: int, api: int, nodes: int) -> str:
    if port == node:
        return "8545"
    if api <= port < api + nodes:
        return str(8000 + port - api)
    return str(port)


def record(ran: list[tuple[Step, str]]) -> None:
    """Writes each command's output under it on the page (the `$ ` lines stay as they are)."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    queue = list(ran)
    inside = skipping = False
    for line in lines:
        if line.startswith("```"):
            inside, skipping = line.strip() == "```console", False
            out.append(line)
            continue
        if inside and line.startswith("$ "):
            step, output = queue.pop(0)
            out.append(line)
            if not step.command.startswith("export "):
                out += shorten(output)
            skipping = True
            continue
        if inside and skipping:
            continue
        out.append(line)
    PAGE.write_text("\n".join(out) + "\n", encoding="utf-8")
