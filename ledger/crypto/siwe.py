"""Sign-In with Ethereum (EIP-4361) messages: build, parse strictly, verify.

The message is plain text, signed with ``personal_sign`` (EIP-191). Verification checks,
in order:

1. the text parses as an EIP-4361 message (version 1);
2. its domain is this server's and its chain id this chain's (no phishing relay from
   another site, no replay from another chain);
3. it is within its validity window (issued-at, not-before, expiration time);
4. the EIP-191 signature recovers to the message's address.

The nonce is checked by the caller, who issued it and must accept it only once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ledger.errors import SignInFailed

_HEADER = " wants you to sign in with your Ethereum account:"
_NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")
MAX_MESSAGE_CHARS = 4096


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_time(value: str, what: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SignInFailed(f"{what} is not an RFC 3339 date-time", reason="malformed") from None
    if parsed.tzinfo is None:
        raise SignInFailed(f"{what} needs a time zone", reason="malformed")
    return parsed


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: str
    statement: str | None = None
    version: str = "1"
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [self.domain + _HEADER, self.address, ""]
        if self.statement is not None:
            lines += [self.statement, ""]
        else:
            lines += [""]
        lines += [
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {self.issued_at}",
        ]
        if self.expiration_time:
            lines.append(f"Expiration Time: {self.expiration_time}")
        if self.not_before:
            lines.append(f"Not Before: {self.not_before}")
        if self.request_id is not None:
            lines.append(f"Request ID: {self.request_id}")
        if self.resources:
            lines += ["Resources:"] + [f"- {r}" for r in self.resources]
        return "\n".join(lines)

    @classmethod
    def create(
        cls,
        *,
        domain: str,
        address: str,
        uri: str,
        chain_id: int,
        nonce: str,
        ttl: int = 300,
        statement: str | None = None,
        now: dt.datetime | None = None,
    ) -> SiweMessage:
        now = now or dt.datetime.now(dt.UTC)
        return cls(
            domain=domain,
            address=address,
            uri=uri,
            chain_id=chain_id,
            nonce=nonce,
            issued_at=_iso(now),
            statement=statement,
            expiration_time=_iso(now + dt.timedelta(seconds=ttl)),
        )

    @classmethod
    def parse(cls, text: str) -> SiweMessage:
        if not isinstance(text, str) or len(text) > MAX_MESSAGE_CHARS:
            raise SignInFailed("the sign-in message is missing or too long", reason="malformed")
        lines = text.split("\n")

        def fail(why: str) -> SignInFailed:
            return SignInFailed(f"not an EIP-4361 message: {why}", reason="malformed")

        if len(lines) < 8 or not lines[0].endswith(_HEADER):
            raise fail("first line must be '<domain> wants you to sign in with your Ethereum account:'")
        domain, address = lines[0][: -len(_HEADER)], lines[1]
        if not domain or " " in domain:
            raise fail("bad domain")
        from eth_utils import is_checksum_address

        if not is_checksum_address(address):
            raise fail("the address must be an EIP-55 checksummed address")
        if lines[2] != "":
            raise fail("an empty line must follow the address")
        i = 3
        statement = None
        if lines[3] != "":
            statement, i = lines[3], 4
            if lines[4] != "":
                raise fail("an empty line must follow the statement")
        i += 1
        fields: dict[str, str] = {}
        order = ["URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time", "Not Before", "Request ID"]
        required = {"URI", "Version", "Chain ID", "Nonce", "Issued At"}
        pos = 0
        resources: list[str] = []
        while i < len(lines):
            line = lines[i]
            if line == "Resources:":
                resources = [r[2:] for r in lines[i + 1 :]]
                if not all(r.startswith("- ") for r in lines[i + 1 :]):
                    raise fail("resources are lines '- <uri>'")
                break
            key, sep, value = line.partition(": ")
            if not sep or key not in order[pos:]:
                raise fail(f"unexpected line {line[:40]!r}")
            pos = order.index(key) + 1
            fields[key] = value
            i += 1
        if not required <= set(fields):
            raise fail(f"missing {', '.join(sorted(required - set(fields)))}")
        if fields["Version"] != "1":
            raise fail("only version 1 is supported")
        if not fields["Chain ID"].isdigit():
            raise fail("chain id must be a number")
        if not _NONCE.match(fields["Nonce"]):
            raise fail("the nonce is at least 8 alphanumeric characters")
        for key in ("Issued At", "Expiration Time", "Not Before"):
            if key in fields:
                _parse_time(fields[key], key)
        return cls(
            domain=domain,
            address=address,
            statement=statement,
            uri=fields["URI"],
            version="1",
            chain_id=int(fields["Chain ID"]),
            nonce=fields["Nonce"],
            issued_at=fields["Issued At"],
            expiration_time=fields.get("Expiration Time"),
            not_before=fields.get("Not Before"),
            request_id=fields.get("Request ID"),
            resources=resources,
        )


def verify(
    text: str, signature: str, *, domain: str, chain_id: int, now: dt.datetime | None = None, max_age: int = 600
) -> SiweMessage:
    """The message, if it passes every check in the module docstring; else :class:`SignInFailed`."""
    msg = SiweMessage.parse(text)
    if msg.domain != domain:
        raise SignInFailed(f"the message is for {msg.domain!r}, not this server", reason="domain")
    if msg.chain_id != chain_id:
        raise SignInFailed(f"the message is for chain {msg.chain_id}, not {chain_id}", reason="chain")
    now = now or dt.datetime.now(dt.UTC)
    issued = _parse_time(msg.issued_at, "Issued At")
    if issued > now + dt.timedelta(seconds=30) or issued < now - dt.timedelta(seconds=max_age):
        raise SignInFailed("the message's issue time is not recent", reason="expired")
    if msg.expiration_time and _parse_time(msg.expiration_time, "Expiration Time") <= now:
        raise SignInFailed("the sign-in message has expired", reason="expired")
    if msg.not_before and _parse_time(msg.not_before, "Not Before") > now:
        raise SignInFailed("the sign-in message is not valid yet", reason="expired")
    try:
        from eth_account import Account
        from eth_account.messages import encode_defunct

        signer = Account.recover_message(encode_defunct(text=text), signature=signature)
    except Exception:  # noqa: BLE001 — eth-account raises several types for a malformed signature
        raise SignInFailed("the signature is not a valid EIP-191 signature", reason="signature") from None
    if signer != msg.address:
        raise SignInFailed("the signature is not by the message's address", reason="signature")
    return msg
