"""Where a secret written in the config file comes from, and how URLs are printed safely.

A secret key in the config (``stripe_api_key``, ``netsuite.token_secret``, ...) holds one of:

* ``env:NAME``: the value of the environment variable ``NAME``;
* ``file:/path``: the file's contents (one-line secrets lose their trailing newline,
  a PEM key is kept whole);
* ``vault:NAME``: the entry ``NAME`` of this account in the encrypted store
  (`stripe_netsuite.vault`), opened only when a reference asks for it;
* anything else: the value itself (kept for compatibility; the file then holds a secret).

Resolved values are held as ``pydantic.SecretStr``: they print as ``**********`` and the
code that needs one asks for ``get_secret_value()`` where it hands it to Stripe or NetSuite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from stripe_netsuite.exceptions import ConfigError

ENV = "env:"
FILE = "file:"
VAULT = "vault:"


class VaultReader(Protocol):
    """Reads one account's entries from the encrypted store."""

    def read(self, account: str, name: str) -> str | None:
        """The entry's plaintext, or None when the account has no entry *name*."""
        ...


class SecretResolver:
    """Turns ``env:`` / ``file:`` / ``vault:`` references into values.

    *environ* defaults to ``os.environ``. *open_vault* is called once, on the first
    ``vault:`` reference, so a config without one never touches the database.
    """

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        open_vault: Callable[[], VaultReader] | None = None,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._open_vault = open_vault
        self._vault: VaultReader | None = None

    def resolve(
        self, value: str, *, account: str, key: str, source: str, whole: bool = False
    ) -> str:
        """The secret *value* stands for; *key* and *source* name it in any `ConfigError`.

        *whole* keeps a file's trailing newline (a PEM key); one-line secrets drop it.
        """
        if value.startswith(ENV):
            return self._env(value[len(ENV) :], key=key, source=source)
        if value.startswith(FILE):
            return self._file(value[len(FILE) :], key=key, source=source, whole=whole)
        if value.startswith(VAULT):
            return self._vault_entry(value[len(VAULT) :], account=account, key=key, source=source)
        return value

    def _env(self, name: str, *, key: str, source: str) -> str:
        if not name:
            raise ConfigError("env: names no environment variable", file=source, key=key)
        if name not in self._environ:
            raise ConfigError(f"environment variable {name} is not set", file=source, key=key)
        return self._environ[name]

    def _file(self, path: str, *, key: str, source: str, whole: bool) -> str:
        if not path:
            raise ConfigError("file: names no file", file=source, key=key)
        try:
            text = Path(path).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ConfigError(f"cannot read file:{path}: {reason}", file=source, key=key) from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"file:{path} is not UTF-8 text", file=source, key=key) from exc
        return text if whole else text.rstrip("\r\n")

    def _vault_entry(self, name: str, *, account: str, key: str, source: str) -> str:
        if not name:
            raise ConfigError("vault: names no entry", file=source, key=key)
        if self._vault is None:
            if self._open_vault is None:
                raise ConfigError(
                    f"vault:{name} needs the encrypted store, which is not available here "
                    "(the stripe-netsuite command opens it from SNS_DATABASE_URL)",
                    file=source,
                    key=key,
                )
            try:
                self._vault = self._open_vault()
            except ConfigError as exc:
                raise ConfigError(f"vault:{name}: {exc}", file=source, key=key) from exc
        try:
            found = self._vault.read(account, name)
        except ConfigError as exc:
            raise ConfigError(f"vault:{name}: {exc}", file=source, key=key) from exc
        if found is None:
            raise ConfigError(
                f"the vault has no entry {name!r} for account {account!r} "
                f"(stripe-netsuite secrets set {account} {name})",
                file=source,
                key=key,
            )
        return found


def redact_url(url: str) -> str:
    """*url* with its password replaced by ``***`` (database URLs in output and logs)."""
    scheme, sep, rest = url.partition("://")
    # The authority ends at the path, query or fragment; a password's own '@' stays in it.
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    if not sep or "@" not in authority:
        return url
    creds, host = authority.rsplit("@", 1)
    if ":" not in creds:
        return url
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}{tail}"
