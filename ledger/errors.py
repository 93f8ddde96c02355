"""One exception root for Civic Ledger, with domain subclasses.

Errors from web3, JSON-RPC and the compiler are wrapped at the boundary, so callers see
``GrantExpired`` or ``NotAuthorized``, never ``ContractCustomError``. Each class has a
stable ``code`` that the API and CLI report.
"""

from __future__ import annotations

from typing import Any, ClassVar


class LedgerError(Exception):
    """Root of every error Civic Ledger raises on purpose."""

    code: ClassVar[str] = "ledger_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class ReasonedError(LedgerError):
    """An error whose stable ``reason`` names which of several checks failed (also in its JSON)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "reason": self.reason}


class BadArgument(LedgerError):
    """A command-line option or configuration value that cannot be used."""

    code = "invalid_argument"


class Internal(LedgerError):
    """Something no check foresaw: reported in words, with its type, never as a traceback."""

    code = "internal"


class ToolchainError(LedgerError):
    code = "toolchain"


class CompileError(ToolchainError):
    code = "compile_failed"


class NodeError(LedgerError):
    """The local chain node could not be started, stopped or reached."""

    code = "node"


class ManifestError(LedgerError):
    code = "manifest"


class ChainUnavailable(LedgerError):
    """The JSON-RPC endpoint does not answer (node down, network)."""

    code = "chain_unavailable"


class TransactionFailed(LedgerError):
    """A transaction was mined but reverted, or was never mined in time."""

    code = "transaction_failed"


class ContractRevert(LedgerError):
    """A contract refused the call with a custom error; ``error`` and ``args`` say which."""

    code = "contract_revert"

    def __init__(
        self, message: str, *, error: str = "", args: dict[str, Any] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.error = error
        self.args_by_name = dict(args or {})
        if code is not None:
            self.code = code  # type: ignore[misc]  # a contract error with a code of its own (unknown_purpose)

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), **({"error": self.error} if self.error else {})}


class NotAuthorized(ContractRevert):
    code = "not_authorized"


class NotFound(ContractRevert):
    code = "not_found"


class Conflict(ContractRevert):
    code = "conflict"


class InvalidInput(ContractRevert):
    code = "invalid_input"


class AccessDenied(LedgerError):
    """A read was refused by the access rules; ``decision`` names the contract's reason."""

    code = "access_denied"

    def __init__(self, message: str, *, decision: str) -> None:
        super().__init__(message, decision=decision)
        self.decision = decision
        self.code = decision  # type: ignore[misc]  # one vocabulary: the refusal's code is its decision

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "decision": self.decision}


class GrantExpired(AccessDenied):
    code = "grant_expired"


class GrantRevoked(AccessDenied):
    code = "grant_revoked"


class ConsentMissing(AccessDenied):
    code = "consent_missing"


class ForwardRequestInvalid(ContractRevert):
    """A relayed EIP-712 request was replayed, expired, or signed by someone else."""

    code = "forward_request_invalid"


# ------------------------------------------------------------------ off-chain store


class InvalidRecord(LedgerError):
    """A record that cannot be stored: bad JSON, unknown category, missing or unknown fields, too large."""

    code = "invalid_record"


class InvalidNationalId(LedgerError):
    """A national ID number that is malformed or fails its check digit."""

    code = "invalid_national_id"


class RecordNotFound(LedgerError):
    code = "record_not_found"


class RecordErased(LedgerError):
    """The record was crypto-shredded: its content is gone for good."""

    code = "record_erased"


class KeyringError(LedgerError):
    """Key-encryption keys or the consortium secret are missing, locked or malformed."""

    code = "keyring"


class IntegrityFailure(LedgerError):
    """Stored data failed authentication or no longer matches its on-chain commitment."""

    code = "integrity_failure"


class DisclosureInvalid(ReasonedError):
    """A disclosure bundle does not verify against the chain; ``reason`` says which check failed."""

    code = "disclosure_invalid"


class StoreError(LedgerError):
    """The record database could not be reached or migrated."""

    code = "store"


# ------------------------------------------------------------------------- sign-in


class SignInFailed(ReasonedError):
    """A Sign-In with Ethereum message or its signature was refused; ``reason`` says why."""

    code = "sign_in_failed"


class NotAuthenticated(LedgerError):
    """No bearer token, or one that is invalid or expired."""

    code = "not_authenticated"


class NodeUnauthenticated(ReasonedError):
    """A node-to-node request that is unsigned, replayed, stale, or not signed by the node account of the
    body it names; ``reason`` says which."""

    code = "node_unauthenticated"


class NodeUnavailable(LedgerError):
    """Another body's node, needed for this request, did not answer or published no address."""

    code = "node_unavailable"


class ReadRequestInvalid(ReasonedError):
    """A signed read request that cannot be served: malformed, foreign, expired or mis-signed."""

    code = "read_request_invalid"


class RateLimited(LedgerError):
    """Too many attempts from one client; ``retry_after`` says when to try again, in seconds."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


# -------------------------------------------------------------------- access trail


class AnchorError(LedgerError):
    """The trail could not be anchored: chain unreachable, a gap, or anchors missing here."""

    code = "anchor_failed"


class IndexerError(LedgerError):
    """The chain index cannot follow the chain (a reorg deeper than its depth, say)."""

    code = "indexer_error"


class TrailInvalid(ReasonedError):
    """A trail bundle does not verify against the chain; ``reason`` says which check failed."""

    code = "trail_invalid"
