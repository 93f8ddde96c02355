"""Helpers shared by the ``ledger`` sub-commands: output, JSON errors, settings, signers."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer
from rich.console import Console

from ledger.errors import BadArgument, LedgerError
from ledger.jsondepth import too_deep

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ledger.config import Settings

out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)


def fail(exc: LedgerError) -> NoReturn:
    err.print_json(json.dumps(exc.to_json()))
    raise typer.Exit(1)


def run(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except LedgerError as exc:
        fail(exc)


def print_json(data: Any) -> None:
    out.print_json(json.dumps(data, default=str))


def read_json(path: Path, *, limit: int, what: str, error: type[LedgerError] = BadArgument) -> Any:
    """A JSON file (or stdin for ``-``) of at most ``limit`` bytes; ``error`` for anything else."""
    try:
        if str(path) == "-":
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as f:
                raw = f.read(limit + 1)
    except OSError as exc:
        raise BadArgument(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > limit:
        raise error(f"{path} is larger than {limit:,} bytes; {what}")

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    deep = too_deep(raw)
    if deep:
        raise error(f"{path} is refused: {deep}")
    try:
        return json.loads(raw, parse_constant=no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise error(f"{path} is not valid JSON: {exc}") from None


def settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    from ledger.config import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors())
        fail(BadArgument(f"invalid setting: {problems}"))


def progress(message: str) -> None:
    err.print(f"[dim]…[/dim] {message}")


@contextlib.contextmanager
def progress_bars(verb: str = "") -> Iterator[Callable[[str, int, int], None]]:
    """Progress bars on standard error, one per stage: yields ``update(stage, done, total)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{verb} {stage}".strip(), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def signer(keystore: Optional[Path], dev_index: Optional[int]) -> LocalAccount:
    if keystore is not None:
        from eth_account import Account

        password = os.environ.get("LEDGER_KEYSTORE_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise BadArgument("set LEDGER_KEYSTORE_PASSWORD to unlock the keystore without a terminal")
            password = getpass.getpass(f"password for {keystore}: ")
        document = read_json(keystore, limit=64 * 1024, what="a keystore V3 file is far smaller")
        if not isinstance(document, dict) or not isinstance(document.get("crypto") or document.get("Crypto"), dict):
            raise BadArgument(f"{keystore} is not a keystore file (an encrypted key, keystore V3 JSON)")
        try:
            key = Account.decrypt(document, password)
        except ValueError as exc:
            if "MAC mismatch" in str(exc):
                raise BadArgument(f"wrong password for {keystore}") from None
            raise BadArgument(f"{keystore} is not a keystore file this program can read ({exc})") from None
        except (KeyError, TypeError, AttributeError):
            raise BadArgument(f"{keystore} is not a complete keystore file (a field is missing or malformed)") from None
        account: LocalAccount = Account.from_key(key)
        return account
    if dev_index is not None:
        from ledger.local.devkeys import dev_account

        return dev_account(dev_index)
    raise BadArgument("give --keystore FILE, or --dev-account N for the local node's well-known development keys")


def maybe_signer(keystore: Optional[Path], dev_index: Optional[int]) -> LocalAccount | None:
    """The acting account when one is given (to default ``--body`` to its body), else None."""
    return signer(keystore, dev_index) if keystore is not None or dev_index is not None else None


KeystoreOpt = Annotated[Optional[Path], typer.Option("--keystore", help="Keystore V3 file of the acting account")]
DevAccountOpt = Annotated[Optional[int], typer.Option("--dev-account", help="Act as local dev key N (local node only)")]
