"""Signing keys for ledger rows and head checkpoints: ed25519 or HMAC-SHA256.

The key is the provider's and never stored in the ledger. ed25519 (needs the
`cryptography` package, extra `flopcount[sign]`) lets an auditor check signatures with the
public key alone and forge nothing; HMAC needs only the standard library but whoever can
check can also sign, so it proves integrity to the key holder, not to a third party.

Key sources, first found wins: an explicit file (`--key`), `FLOPCOUNT_LEDGER_KEY_FILE`
(a path), `FLOPCOUNT_LEDGER_KEY` (the key text). A PEM "PRIVATE KEY" is an ed25519
signing key, a PEM "PUBLIC KEY" an ed25519 verify-only key, anything else an HMAC secret
(at least `MIN_SECRET_BYTES` bytes, surrounding whitespace ignored).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data import assumptions
from ..boundary.errors import InputError

ENV_FILE = "FLOPCOUNT_LEDGER_KEY_FILE"
ENV_TEXT = "FLOPCOUNT_LEDGER_KEY"
MIN_SECRET_BYTES = assumptions.MIN_HMAC_SECRET_BYTES
ROW_DOMAIN = b"flopcount-row\0"
HEAD_DOMAIN = b"flopcount-head\0"


@dataclass(frozen=True)
class Key:
    """A key that checks signatures, and signs them too unless it is a public key."""

    kind: str                   # "ed25519" | "hmac"
    id: str                     # "ed25519:<16 hex>" / "hmac:<16 hex>", safe to publish
    _secret: bytes = b""        # HMAC secret
    _private: Any = None        # cryptography Ed25519PrivateKey
    _public: Any = None         # cryptography Ed25519PublicKey

    @property
    def can_sign(self) -> bool:
        return self.kind == "hmac" or self._private is not None

    def sign(self, domain: bytes, message: str) -> str:
        if self.kind == "hmac":
            return hmac.new(self._secret, domain + message.encode(), hashlib.sha256).hexdigest()
        if self._private is None:
            raise InputError(f"{self.id} is a public key: it checks signatures but cannot sign")
        return base64.b64encode(self._private.sign(domain + message.encode())).decode()

    def verify(self, domain: bytes, message: str, signature: str | None) -> bool:
        if not signature:
            return False
        if self.kind == "hmac":
            return hmac.compare_digest(self.sign(domain, message), signature)
        from cryptography.exceptions import InvalidSignature
        try:
            self._public.verify(base64.b64decode(signature, validate=True), domain + message.encode())
            return True
        except (InvalidSignature, ValueError):
            return False


def _hmac_key(secret: bytes, source: str) -> Key:
    secret = secret.strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise InputError(f"an HMAC secret needs at least {MIN_SECRET_BYTES} bytes (got {len(secret)})",
                         source=source)
    digest = hashlib.sha256(b"flopcount-hmac-key-id\0" + secret).hexdigest()[:16]
    return Key("hmac", f"hmac:{digest}", _secret=secret)


def _ed25519_key(text: bytes, source: str) -> Key:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    except ImportError:
        raise InputError("ed25519 keys need the 'cryptography' package: pip install 'flopcount[sign]'",
                         source=source) from None
    try:
        if b"PRIVATE KEY" in text:
            private = serialization.load_pem_private_key(text, password=None)
            public = private.public_key()
        else:
            private, public = None, serialization.load_pem_public_key(text)
    except (ValueError, TypeError) as exc:
        raise InputError(f"not a readable PEM key ({exc})", source=source) from None
    if not isinstance(public, Ed25519PublicKey) or (private is not None and not isinstance(private, Ed25519PrivateKey)):
        raise InputError("PEM keys must be ed25519", source=source)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Key("ed25519", f"ed25519:{hashlib.sha256(raw).hexdigest()[:16]}", _private=private, _public=public)


def parse_key(text: bytes, source: str) -> Key:
    if b"-----BEGIN" in text:
        return _ed25519_key(text, source)
    return _hmac_key(text, source)


def load_key(path: str | Path | None = None) -> Key | None:
    """The key from `path`, else from the environment, else None (rows go unsigned)."""
    path = path or os.environ.get(ENV_FILE)
    if path:
        try:
            return parse_key(Path(path).read_bytes(), str(path))
        except OSError as exc:
            raise InputError(f"cannot read key: {exc.strerror or exc}", source=str(path)) from None
    text = os.environ.get(ENV_TEXT)
    return parse_key(text.encode(), f"${ENV_TEXT}") if text else None


def generate(path: str | Path) -> tuple[Path, Path]:
    """A new ed25519 key pair: PATH (private, mode 0600) and PATH.pub (for auditors)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    private = Ed25519PrivateKey.generate()
    path = Path(path)
    public_path = path.with_name(path.name + ".pub")
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never overwrite a key
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        public_path.write_bytes(private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    except OSError as exc:
        raise InputError(f"cannot write key: {exc.strerror or exc}", source=str(exc.filename or path)) from None
    return path, public_path
