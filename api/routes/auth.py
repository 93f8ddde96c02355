"""Sign-in with Ethereum: a nonce, a signed EIP-4361 message, a short-lived bearer token."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import CurrentActor, Node, NodeDep, issue_token
from api.ratelimit import RateLimit
from ledger.crypto import siwe
from ledger.errors import SignInFailed
from ledger.store import nonces

router = APIRouter(prefix="/auth", tags=["sign-in"])


class NonceOut(BaseModel):
    nonce: str = Field(examples=["Qm3kX9aPz2LrT8vW1yB5cD7e"])
    expiresAt: dt.datetime
    domain: str = Field(description="Put this domain in the message", examples=["127.0.0.1:8000"])
    uri: str = Field(examples=["http://127.0.0.1:8000"])
    chainId: int = Field(examples=[31337])


class LoginIn(BaseModel):
    message: str = Field(max_length=siwe.MAX_MESSAGE_CHARS, description="The EIP-4361 message, as signed")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="EIP-191 personal_sign signature")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "message": "127.0.0.1:8000 wants you to sign in with your Ethereum account:\n"
                    "0x976EA74026E726554dB657fA54763abd0C3a0aa9\n\nSign in to Civic Ledger\n\n"
                    "URI: http://127.0.0.1:8000\nVersion: 1\nChain ID: 31337\nNonce: Qm3kX9aPz2LrT8vW1yB5cD7e\n"
                    "Issued At: 2026-11-22T10:00:00Z\nExpiration Time: 2026-11-22T10:05:00Z",
                    "signature": "0x" + "ab" * 65,
                }
            ]
        }
    }


class TokenOut(BaseModel):
    accessToken: str
    tokenType: str = "bearer"
    expiresAt: dt.datetime
    address: str


class MeOut(BaseModel):
    address: str
    body: str | None = Field(description="Body code, or null for a resident with no body")
    roles: list[str] = Field(examples=[["officer"]])
    name: str | None = Field(default=None, description="From the body's members' directory, if it names them")
    post: str | None = Field(default=None, description="From the body's members' directory")


def nonce_key(node: Node) -> bytes:
    """The key of this node's sign-in nonces, from its token secret (the same in every worker)."""
    assert node.settings.api_token_secret is not None
    secret = node.settings.api_token_secret.get_secret_value().encode()
    return hmac.new(secret, b"civic-ledger sign-in nonces", hashlib.sha256).digest()


@router.post(
    "/nonce",
    response_model=NonceOut,
    summary="Get a single-use nonce for a sign-in message",
    responses={429: {"description": "Too many nonces asked for; see Retry-After"}},
)
def new_nonce(node: NodeDep, request: Request) -> NonceOut:
    limiter: RateLimit | None = getattr(request.app.state, "nonce_limit", None)
    if limiter is None:
        limiter = request.app.state.nonce_limit = RateLimit(node.settings.api_nonce_attempts, node.settings.api_code_window)
    limiter.hit(request.client.host if request.client else "unknown")
    nonce, expires = nonces.issue(key=nonce_key(node))
    s = node.settings
    return NonceOut(nonce=nonce, expiresAt=expires, domain=s.api_domain, uri=s.api_uri, chainId=node.chain.chain_id)


@router.post(
    "/login",
    response_model=TokenOut,
    summary="Exchange a signed EIP-4361 message for a bearer token",
    responses={
        401: {"description": "Bad message, signature, domain, chain, expiry or nonce"},
        429: {"description": "Too many sign-ins of this account; see Retry-After"},
    },
)
def login(body: LoginIn, node: NodeDep, request: Request) -> TokenOut:
    msg = siwe.verify(body.message, body.signature, domain=node.settings.api_domain, chain_id=node.chain.chain_id)
    limiter: RateLimit | None = getattr(request.app.state, "login_limit", None)
    if limiter is None:  # per account: one key's sign-ins cannot fill the table of used nonces
        limiter = request.app.state.login_limit = RateLimit(node.settings.api_nonce_attempts, node.settings.api_code_window)
    limiter.hit(msg.address.lower())
    if not nonces.consume(node.engine, msg.nonce, key=nonce_key(node)):  # last: a refused message does not burn it
        raise SignInFailed("the nonce is unknown, used already, or expired; ask for a new one", reason="nonce")
    token, expires = issue_token(node.settings, msg.address)
    return TokenOut(accessToken=token, expiresAt=expires, address=msg.address)


@router.get("/me", response_model=MeOut, summary="Who the token's account is now, by the chain")
def me(actor: CurrentActor, node: NodeDep) -> MeOut:
    who = node.people.of([actor.address]).get(actor.address) if actor.body else None
    return MeOut(
        address=actor.address,
        body=actor.body,
        roles=[r.name.lower() for r in type(actor.roles) if r in actor.roles and r.name],
        name=who.name if who else None,
        post=who.post if who else None,
    )
