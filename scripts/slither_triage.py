"""Compares slither's high and medium findings (its --json output, on stdin or as the first argument)
with contracts/slither-triage.json: every finding must be triaged, every triage entry still found."""

from __future__ import annotations

import json
import sys
from pathlib import Path

TRIAGE = Path(__file__).resolve().parent.parent / "contracts" / "slither-triage.json"


def main() -> int:
    report = json.loads(Path(sys.argv[1]).read_text() if len(sys.argv) > 1 else sys.stdin.read())
    if not report.get("success"):
        print(f"slither failed: {report.get('error')}", file=sys.stderr)
        return 2
    found = set()
    for r in report.get("results", {}).get("detectors", []):
        if r["impact"] not in ("High", "Medium"):
            continue
        element = r["elements"][0] if r["elements"] else {}
        parent = element.get("type_specific_fields", {}).get("parent", {})
        contract = (
            parent.get("name")
            if parent.get("type") == "contract"
            else parent.get("type_specific_fields", {}).get("parent", {}).get("name")
        )
        found.add((r["check"], str(contract), element.get("name", ""), r["first_markdown_element"], r["impact"]))
    triaged = {(f["check"], f["contract"], f["element"]) for f in json.loads(TRIAGE.read_text())["findings"]}
    untriaged = sorted(f for f in found if f[:3] not in triaged)
    stale = sorted(t for t in triaged if t not in {f[:3] for f in found})
    for check, contract, element, where, impact in untriaged:
        print(f"slither: untriaged {impact} finding {check} in {contract} ({element}) at {where}", file=sys.stderr)
    for check, contract, element in stale:
        print(
            f"slither: {TRIAGE.name} lists {check} in {contract} ({element}), which slither no longer finds: remove it",
            file=sys.stderr,
        )
    print(
        f"slither: {len(found)} high/medium finding(s), all triaged"
        if not untriaged and not stale
        else f"slither: {len(untriaged)} untriaged, {len(stale)} stale"
    )
    return 1 if untriaged or stale else 0


if __name__ == "__main__":
    sys.exit(main())
