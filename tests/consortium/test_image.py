"""The node's image (node-config/Dockerfile) carries every file the node serves or reads: its COPY lines are
played into an empty folder, and the node's own code finds there its compiled contracts (without a
compiler: the image has none) and every browser library the portal serves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from api.portal.pages import VENDOR
from ledger.chain.compiler import compile_contracts

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "node-config" / "Dockerfile"


def _copies() -> list[tuple[str, str]]:
    pairs = []
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY "):
            *sources, dest = line.split()[1:]
            pairs += [(s, dest) for s in sources]
    return pairs


def _play(into: Path) -> None:
    """The files the image's COPY lines put in its WORKDIR."""
    for source, dest in _copies():
        src = ROOT / source
        assert src.exists(), f"the Dockerfile copies {source}, which a checkout after setup does not have"
        target = into / dest if not dest.endswith("/") else into / dest / src.name
        if dest == "./":
            target = into / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, target)


def test_the_image_carries_what_the_node_serves_and_reads(tmp_path: Path) -> None:
    compile_contracts()  # build/contracts.json, as `ledger compile` leaves it before `docker build`
    image = tmp_path / "opt"
    _play(image)
    for name, path in VENDOR.items():  # the portal's browser libraries
        assert (image / "node_modules" / path).is_file(), f"/vendor/{name} would be missing in the image"
    for served in ("api/portal/static/js/app.js", "api/portal/static/i18n/zh-CN.json", "api/portal/shell.html"):
        assert (image / served).is_file()
    # the node loads its build from the image's files alone: no solc, no npm packages beyond those copied
    probe = (
        "from ledger.chain.compiler import compile_contracts\n"
        "from ledger.toolchain import project_root\n"
        "b = compile_contracts()\n"
        "print(project_root(), len(b.artifacts))\n"
    )
    env = {**os.environ, "LEDGER_ROOT": str(image)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=image, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    root, artifacts = done.stdout.split()
    assert Path(root) == image.resolve() and int(artifacts) >= 6
    assert not (image / "node_modules" / "solc").exists()
    text = DOCKERFILE.read_text()
    assert "HEALTHCHECK" in text and "/health" in text  # compose and operators see an unhealthy node
    assert "USER 1000" in text  # the compose files run it as the operator (or 1000), never as root
