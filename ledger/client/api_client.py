"""Python client of the Civic Ledger API: a person signs in with their own key.

Errors come back as :class:`ApiError` carrying the API's stable ``code`` and HTTP status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.client.http import Http, Unreachable
from ledger.crypto.siwe import SiweMessage
from ledger.errors import BadArgument, LedgerError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount


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
        try:
            self.http = Http(base_url, timeout=timeout)
        except ValueError as exc:
            raise BadArgument(f"{exc}: give the node's API address, e.g. http://127.0.0.1:8000") from None
        self.account = account
        self.token: str | None = None

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            r = self.http.request(method, path, headers=headers, **kw)
        except Unreachable as exc:  # the node is down or unreachable: an error in words, not a traceback
            raise ApiError(
                0, {"code": "api_unavailable", "message": f"cannot reach the node at {self.http.base_url}: {exc}"}
            ) from None
        if r.status_code < 400 and not r.headers.get("content-type", "").startswith("application/json"):
            return r.text  # CSV, HTML, Prometheus text
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
        return SiweMessage.create(
            domain=n["domain"],
            address=self.account.address,
            uri=n["uri"],
            chain_id=n["chainId"],
            nonce=n["nonce"],
            ttl=ttl,
            statement=statement,
        ).text()

    def sign(self, text: str) -> str:
        from eth_account.messages import encode_defunct

        assert self.account is not None
        return "0x" + bytes(self.account.sign_message(encode_defunct(text=text)).signature).hex()

    def login(self) -> dict[str, Any]:
        message = self.sign_in_message()
        out = self.request("POST", "/auth/login", json={"message": message, "signature": self.sign(message)})
        self.token = str(out["accessToken"])
        return dict(out)

    def sign_typed(self, typed: dict[str, Any]) -> str:
        """This person's EIP-712 signature of ``typed`` (what ``eth_signTypedData_v4`` returns)."""
        from eth_account.messages import encode_typed_data

        assert self.account is not None, "signing needs the person's key"
        return "0x" + bytes(self.account.sign_message(encode_typed_data(full_message=typed)).signature).hex()

    def submit(self, prepared: dict[str, Any]) -> dict[str, Any]:
        """Signs prepared EIP-712 typed data with this person's key and has the node relay it."""
        typed = prepared["typedData"]
        return dict(self.request("POST", "/tx/submit", json={"typedData": typed, "signature": self.sign_typed(typed)}))

    def act(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Prepare → sign → submit: one chain action as this person; returns the relayed transaction."""
        return self.submit(self.request(method, path, json=body))

    @staticmethod
    def event_arg(submitted: dict[str, Any], event: str, arg: str) -> Any:
        """An argument of the (first) ``event`` a submitted transaction emitted."""
        for log in submitted.get("logs", []):
            if log["event"] == event:
                return log["args"][arg]
        raise KeyError(f"the transaction emitted no {event}")

    # ------------------------------------------------------------------ flows

    def register_record(self, category: str, national_id: str, fields: dict[str, Any]) -> str:
        """Stores a record at this node and anchors it with this person's signature; returns its id."""
        staged = self.request("POST", "/records", json={"category": category, "nationalId": national_id, "fields": fields})
        self.submit(staged)
        return str(staged["record"]["recordId"])

    def request_access(self, **body: Any) -> int:
        return int(self.event_arg(self.act("POST", "/requests", body), "AccessRequested", "requestId"))

    def approve(self, request_id: int, *, days: int | None = None, expires_at: str | None = None) -> int:
        body = {"days": days} if days is not None else {"expiresAt": expires_at}
        return int(self.event_arg(self.act("POST", f"/requests/{request_id}/approve", body), "GrantCreated", "grantId"))

    def revoke(self, grant_id: int) -> dict[str, Any]:
        return self.act("DELETE", f"/grants/{grant_id}")

    def declare_emergency(
        self, record_id: str, fields: list[str], reason: str, *, purpose: str = "emergency_response"
    ) -> int:
        done = self.act(
            "POST", "/emergencies", {"recordId": record_id, "fields": fields, "purpose": purpose, "reason": reason}
        )
        return int(self.event_arg(done, "EmergencyDeclared", "emergencyId"))

    def prepare_read(self, record_id: str, fields: list[str], purpose: str, *, emergency_id: int = 0) -> dict[str, Any]:
        body = {"recordId": record_id, "fields": fields, "purpose": purpose, "emergencyId": emergency_id}
        return dict(self.request("POST", "/reads/prepare", json=body)["typedData"])

    def submit_read(self, typed: dict[str, Any], signature: str | None = None) -> dict[str, Any]:
        return dict(
            self.request("POST", "/reads", json={"typedData": typed, "signature": signature or self.sign_typed(typed)})
        )

    def read(self, record_id: str, fields: list[str], purpose: str, *, emergency_id: int = 0) -> dict[str, Any]:
        """Reads ``fields`` of a record: a signed read request; returns the bundle and the receipt."""
        return self.submit_read(self.prepare_read(record_id, fields, purpose, emergency_id=emergency_id))

    def trail_by_code(self, code: str) -> dict[str, Any]:
        return dict(self.request("POST", "/trail/by-code", json={"code": code}))

    def me(self) -> dict[str, Any]:
        return dict(self.request("GET", "/auth/me"))

    def health(self) -> dict[str, Any]:
        return dict(self.request("GET", "/health"))
