"""Personal data at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The key comes from ``ROBOADVISOR_KEY`` or a key file (default ``<user data dir>/book.key``),
created with mode 0600 the first time personal data is written. The book keeps a token of a fixed
text made with its key (``book_settings.key_check``) so a wrong key is refused before anything is
written or shown. Without a key, everything that needs no personal data still works.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from roboadvisor.errors import BookKeyError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

KEY_ENV = "ROBOADVISOR_KEY"
KEY_FILE_ENV = "ROBOADVISOR_KEY_FILE"
_CHECK_TEXT = b"roboadvisor book key check"


@dataclass(frozen=True)
class KeySource:
    """Where the key is: an environment value, else a file (created on first write)."""

    env_value: str | None
    path: Path

    @classmethod
    def from_environ(cls, environ: dict[str, str], default_dir: Path) -> KeySource:
        path = Path(environ.get(KEY_FILE_ENV) or default_dir / "book.key").expanduser()
        return cls(environ.get(KEY_ENV) or None, path)

    def describe(self) -> str:
        return KEY_ENV if self.env_value else str(self.path)


class Cipher:
    """Encrypts and decrypts personal fields; checks the key against the book's key check."""

    def __init__(self, source: KeySource) -> None:
        self.source = source
        self._fernet: Fernet | None = None

    def available(self) -> bool:
        return self.source.env_value is not None or self.source.path.is_file()

    def fernet(self, *, create: bool) -> Fernet:
        from cryptography.fernet import Fernet

        if self._fernet is not None:
            return self._fernet
        raw = self.source.env_value
        if raw is None:
            if not self.source.path.is_file():
                if not create:
                    raise BookKeyError.from_catalog("book.key_missing",
                                                    where=self.source.describe())
                _create_key_file(self.source.path, Fernet.generate_key())
            raw = self.source.path.read_text(encoding="ascii").strip()
        try:
            self._fernet = Fernet(raw.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise BookKeyError.from_catalog("book.key_malformed",
                                            where=self.source.describe()) from None
        return self._fernet

    def check_token(self) -> bytes:
        """A token of the fixed check text, stored in a new book's settings."""
        return self.fernet(create=True).encrypt(_CHECK_TEXT)

    def verify(self, token: bytes) -> None:
        """Refuse a key that did not make ``token`` (the book's key check)."""
        from cryptography.fernet import InvalidToken

        try:
            ok = self.fernet(create=False).decrypt(token) == _CHECK_TEXT
        except InvalidToken:
            ok = False
        if not ok:
            raise BookKeyError.from_catalog("book.key_wrong", where=self.source.describe())

    def encrypt(self, text: str) -> bytes:
        return self.fernet(create=True).encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self.fernet(create=False).decrypt(bytes(token)).decode("utf-8")
        except InvalidToken:
            raise BookKeyError.from_catalog("book.key_wrong",
                                            where=self.source.describe()) from None


def _create_key_file(path: Path, key: bytes) -> None:
    """Write a new key readable by the owner only (0600 whatever the umask), never overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
