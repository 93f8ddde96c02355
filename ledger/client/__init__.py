"""Python client of the Civic Ledger API: a person signs in with their own key.

Errors come back as :class:`ApiError` carrying the API's stable ``code`` and HTTP status.
"""

from __future__ import annotations

from typing import Any

import httpx
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount

from ledger.errors import LedgerError
from ledger.siwe import SiweMessage


class ApiError(LedgerError):
    """An error answer of the API."""

    code = "api_error"

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("message", body)))
        self.status = status
        self.body = body
        self.api_code = str(body.get("code", "unknown"))

    def to_json(self) -> dict[str, Any]:
        return {"code": self.api_code, "message": self.message, "status": self.status}


class ApiClient:
    def __init__(self, base_url: str, account: LocalAccount | None = None, *, timeout: float = 30.0) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout)
        self.account = account
        self.token: str | None = None

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        r = self.http.request(method, path, headers=headers, **kw)
        try:
            body = r.json()
        except ValueError:
            body = {"code": "not_json", "message": r.text[:200]}
        if r.status_code >= 400:
            raise ApiError(r.status_code, body if isinstance(body, dict) else {"message": str(body)})
        return body

    # ---------------------------------------------------------------- sign-in

    def sign_in_message(self, *, statement: str = "Sign in to Civic Ledger", ttl: int = 300) -> str:
        """A fresh EIP-4361 message for this server (asks it for a nonce)."""
        assert self.account is not None, "sign-in needs the person's key"
        n = self.request("POST", "/auth/nonce")
        return SiweMessage.create(domain=n["domain"], address=self.account.address, uri=n["uri"],
                                  chain_id=n["chainId"], nonce=n["nonce"], ttl=ttl, statement=statement).text()

    def sign(self, text: str) -> str:
        assert self.account is not None
        return "0x" + bytes(self.account.sign_message(encode_defunct(text=text)).signature).hex()

    def login(self) -> dict[str, Any]:
        message = self.sign_in_message()
        out = self.request("POST", "/auth/login", json={"message": message, "signature": self.sign(message)})
        self.token = str(out["accessToken"])
        return dict(out)

    def submit(self, prepared: dict[str, Any]) -> dict[str, Any]:
        """Signs prepared EIP-712 typed data with this person's key and has the node relay it."""
        assert self.account is not None
        typed = prepared["typedData"]
        signature = self.account.sign_message(encode_typed_data(full_message=typed)).signature
        return dict(self.request("POST", "/tx/submit", json={"typedData": typed, "signature": "0x" + bytes(signature).hex()}))

    def me(self) -> dict[str, Any]:
        return dict(self.request("GET", "/auth/me"))

    def health(self) -> dict[str, Any]:
        return dict(self.request("GET", "/health"))
