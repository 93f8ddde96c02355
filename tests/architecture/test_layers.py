"""The layers hold: routes are leaves, the library never reaches into the app or the benchmarks, and each
folder does the job its name says. Read from the source (imports, parsed), so a new module that breaks a rule
fails here before anyone has to find it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules(folder: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / folder).rglob("*.py")):
        if "migrations" not in path.parts:
            yield str(path.relative_to(ROOT))[:-3].replace("/", ".").removesuffix(".__init__"), path


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_a_route_imports_no_other_route_only_deps_schemas_and_services() -> None:
    wrong = {}
    for name, path in _modules("api/routes"):
        bad = sorted(
            i
            for i in _imports(path)
            if _under(i, "api") and not _under(i, "api.deps", "api.schemas", "api.services", "api.ratelimit")
        )
        if bad:
            wrong[name] = bad
    assert wrong == {}


def test_the_library_never_imports_the_app_or_the_benchmarks() -> None:
    """``ledger`` is the library; ``api`` (the node's HTTP app) and ``bench`` build on it. Only the command line,
    whose ``serve`` and ``bench`` commands start them, reaches them, when such a command runs."""
    wrong = {
        name: sorted(i for i in _imports(path) if _under(i, "api", "bench"))
        for name, path in _modules("ledger")
        if not _under(name, "ledger.cli")
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_services_never_import_routes() -> None:
    wrong = {
        name: sorted(i for i in _imports(path) if _under(i, "api.routes", "api.main"))
        for name, path in [*_modules("api/services"), *_modules("api/schemas")]
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_the_library_root_is_short_and_package_inits_hold_no_logic() -> None:
    root = sorted(p.name for p in (ROOT / "ledger").glob("*.py"))
    assert len(root) <= 12, root
    for folder in ("ledger", "api", "bench"):
        for init in (ROOT / folder).rglob("__init__.py"):
            if init.parent.name == "cli" or "migrations" in init.parts:
                continue  # the command line's entry point assembles its command groups
            tree = ast.parse(init.read_text(encoding="utf-8"))
            logic = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
            assert logic == [], f"{init.relative_to(ROOT)} defines {[n.name for n in logic]}"


def test_web3_is_imported_only_inside_the_chain_package() -> None:
    """The chain is a port: blocks, logs, receipts and contract calls are asked of :mod:`ledger.chain`."""
    wrong = {
        name: sorted(i for i in _imports(path) if _under(i, "web3"))
        for folder in ("ledger", "api", "bench")
        for name, path in _modules(folder)
        if not _under(name, "ledger.chain")
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_contract_functions_are_asked_by_name_only_inside_the_chain_package() -> None:
    """Outside :mod:`ledger.chain`, questions to the contracts go through its typed views
    (:mod:`ledger.chain.views`), not ``questions.question("Contract", "fn", ...)`` strings."""
    wrong = []
    for folder in ("ledger", "api"):
        for name, path in _modules(folder):
            if _under(name, "ledger.chain"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "question":
                    wrong.append(f"{name}:{node.lineno}")
    assert wrong == []
