"""``ledger keys``: a person's account in a keystore V3 file, a body's keyring of key-encryption keys."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import out, run
from ledger.errors import BadArgument

keys_app = typer.Typer(help="Keys: eth-account keystore V3 files.", no_args_is_help=True)


@keys_app.command("new")
def keys_new(out_file: Annotated[Path, typer.Argument(help="Where to write the keystore V3 JSON")]) -> None:
    """Create a new account and store its key encrypted (password from LEDGER_KEYSTORE_PASSWORD or a prompt)."""
    from eth_account import Account

    def go() -> str:
        if out_file.exists():
            raise BadArgument(f"{out_file} exists; refusing to overwrite a key")
        password = os.environ.get("LEDGER_KEYSTORE_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise BadArgument("set LEDGER_KEYSTORE_PASSWORD to create a keystore without a terminal")
            password = getpass.getpass("new keystore password: ")
        if len(password) < 8:
            raise BadArgument("the keystore password must have at least 8 characters")
        acct = Account.create()
        out_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(Account.encrypt(acct.key, password), f)
        return str(acct.address)

    address = run(go)
    out.print(f"{address} -> {out_file}")


@keys_app.command("address")
def keys_address(file: Annotated[Path, typer.Argument(help="A keystore V3 file")]) -> None:
    """Print the account of a keystore file (its public address; no password needed)."""
    from eth_utils import is_address, to_checksum_address

    from ledger.cli.common import read_json

    def go() -> str:
        document = read_json(file, limit=64 * 1024, what="a keystore V3 file is far smaller")
        address = document.get("address") if isinstance(document, dict) else None
        if not isinstance(address, str) or not is_address("0x" + address.removeprefix("0x")):
            raise BadArgument(f"{file} is not a keystore file with its address (keystore V3 JSON)")
        return str(to_checksum_address("0x" + address.removeprefix("0x")))

    out.print(run(go), highlight=False, soft_wrap=True)


@keys_app.command("kek-new")
def keys_kek_new(
    out_file: Annotated[Path, typer.Argument(help="Where to write the encrypted keyring")],
    key_id: Annotated[str, typer.Option("--id", help="Id of the first key-encryption key")] = "kek-1",
) -> None:
    """Create a body's keyring of key-encryption keys, encrypted with LEDGER_KEK_PASSWORD (scrypt, AES-256-GCM)."""
    from ledger.crypto.envelope import Keyring

    def go() -> None:
        if out_file.exists():
            raise BadArgument(f"{out_file} exists; refusing to overwrite a keyring")
        password = os.environ.get("LEDGER_KEK_PASSWORD")
        if not password:
            raise BadArgument("set LEDGER_KEK_PASSWORD (at least 12 characters)")
        Keyring.generate(key_id).save(out_file, password)

    run(go)
    out.print(f"keyring with key {key_id} -> {out_file}; use it with LEDGER_KEK_FILE and LEDGER_KEK_PASSWORD")
