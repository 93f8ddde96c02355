"""Cryptography: envelope encryption, subject ids, Sign-In with Ethereum, EIP-712, keccak, and where the keys come from."""
