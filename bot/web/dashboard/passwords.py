"""The dashboard's password, stored only as a salted, slow hash: `scrypt$...` as
`lessonloop dashboard hash-password` makes it, or `pbkdf2_sha256$...` (the form Django and
others write) for a hash made elsewhere."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
"""About 0.1 s and 32 MiB a try here: slow for a guesser, quick for a person logging in."""
SCRYPT_MEMORY = 64 * 1024 * 1024
"""OpenSSL's limit for the parameters above (128 x n x r bytes, with room)."""
MIN_PBKDF2_ITERATIONS = 100_000


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def hashed(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash` (base64), for `dashboard_password_hash`."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=SCRYPT_MEMORY, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def readable_hash(stored: str) -> bool:
    """Whether `stored` is a hash this module can check a password against."""
    try:
        _digest_of("", stored, dry_run=True)
    except ValueError:
        return False
    return True


def matches(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (compared in constant time)."""
    try:
        expected = _unb64(stored.rsplit("$", 1)[1])
        return hmac.compare_digest(_digest_of(password, stored), expected)
    except (ValueError, IndexError):
        return False


def _digest_of(password: str, stored: str, *, dry_run: bool = False) -> bytes:
    """The digest `stored`'s scheme, parameters and salt give `password`; ValueError for a
    hash of another form. `dry_run`: only check the form."""
    parts = stored.split("$")
    if parts[0] == "scrypt" and len(parts) == 6:
        n, r, p = (int(each) for each in parts[1:4])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
        if n < 2**14 or n & (n - 1) or r < 1 or p < 1 or len(digest) < 16:
            raise ValueError("weak or malformed scrypt parameters")
        if dry_run:
            return b""
        return hashlib.scrypt(
            password.encode(),
            salt=salt,
            n=n,
            r=r,
            p=p,
            maxmem=max(SCRYPT_MEMORY, 256 * n * r),
            dklen=len(digest),
        )
    if parts[0] == "pbkdf2_sha256" and len(parts) == 4:
        iterations, salt_text, digest = int(parts[1]), parts[2], _unb64(parts[3])
        if iterations < MIN_PBKDF2_ITERATIONS or len(digest) < 16:
            raise ValueError("too few PBKDF2 iterations")
        if dry_run:
            return b""
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt_text.encode(), iterations, len(digest))
    raise ValueError("not a scrypt$ or pbkdf2_sha256$ hash")
