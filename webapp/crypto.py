"""Secrets at rest: OAuth tokens and webhook secrets, encrypted with MultiFernet.

TOKEN_KEY holds one or more comma-separated Fernet keys; the first encrypts, all decrypt,
so a new key can be put in front and `flask rotate-token-key` re-encrypts the rows.
"""

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_fernet = None


def configure(token_key):
    """Install the keys from TOKEN_KEY."""
    global _fernet
    _fernet = MultiFernet([Fernet(k.strip()) for k in token_key.split(",") if k.strip()])
    _decrypted.cache_clear()


def _keys():
    if _fernet is None:
        raise RuntimeError("webapp.crypto is not configured (create_app or services.configure)")
    return _fernet


def encrypt(plaintext):
    """Ciphertext of plaintext ('' stays '')."""
    if not plaintext:
        return ""
    return _keys().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext):
    """Plaintext of ciphertext ('' stays ''); raises InvalidToken on a foreign key."""
    if not ciphertext:
        return ""
    return _decrypted(ciphertext)


@functools.lru_cache(maxsize=256)
def _decrypted(ciphertext):
    # Every webhook decrypts its connection's signing secret: the few in use are kept (the
    # plaintext is in this process's memory for each request anyway). New keys clear it.
    return _keys().decrypt(ciphertext.encode()).decode()


def rotate(ciphertext):
    """Re-encrypt ciphertext with the first key."""
    if not ciphertext:
        return ""
    return _keys().rotate(ciphertext.encode()).decode()


__all__ = ["InvalidToken", "configure", "decrypt", "encrypt", "rotate"]
