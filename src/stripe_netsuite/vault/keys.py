"""Master keys: what wraps each account's data key. A local key file, or AWS KMS (`kms`).

Both sit behind the small `KeyProvider` protocol. A wrapped data key records which
provider, key and key version wrapped it, so a data key wrapped before a rotation still
unwraps until it is re-wrapped.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.vault import envelope

log = logging.getLogger(__name__)

#: Marks the JSON document of a key file (and its format version).
FILE_FORMAT = "stripe-netsuite master keys 1"


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under a master key, and which master key that was."""

    #: ``local`` or ``kms``.
    provider: str
    #: The key file's id, or the KMS key ARN.
    master_key_id: str
    #: The key file's version (None with KMS).
    master_key_version: int | None
    blob: bytes = field(repr=False)


class KeyProvider(Protocol):
    """Holds the master key: wraps and unwraps data keys, and rotates."""

    #: The provider's name as stored with each wrapped key (``local``, ``kms``).
    name: str

    def wrap(self, data_key: bytes, *, account: str) -> WrappedKey:
        """*data_key* wrapped under the current master key (of *account*)."""
        ...

    def unwrap(self, wrapped: WrappedKey, *, account: str) -> bytes:
        """The data key; `ConfigError` when the master key is missing or refuses it."""
        ...

    def rewrap(self, wrapped: WrappedKey, *, account: str) -> WrappedKey:
        """*wrapped* wrapped again under the current master key."""
        ...

    def begin_rotation(self) -> None:
        """Make a new master key version current; older ones keep unwrapping."""
        ...

    def finish_rotation(self, in_use: Iterable[WrappedKey]) -> None:
        """Drop the old master key versions none of *in_use* needs any more."""
        ...


def _context(account: str, key_id: str, version: int) -> str:
    return f"stripe-netsuite data key of {account} under key file {key_id} v{version}"


class LocalKeyFile:
    """Master keys in a JSON file, readable by the service user only (mode 0600).

    The file holds an id, the current version and every version still needed. A
    rotation adds a version and makes it current; the old ones stay until no data key
    uses them. Readers re-read the file when they meet a version they do not know.
    """

    name = "local"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._doc: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"LocalKeyFile({str(self.path)!r})"

    # -- the file ---------------------------------------------------------------

    def exists(self) -> bool:
        """Whether the key file is there."""
        return self.path.exists()

    def create(self) -> bool:
        """Write a new key file with one key version, unless one exists; True when written."""
        doc = {"format": FILE_FORMAT, "id": secrets.token_hex(8), "current": 1, "keys": {}}
        doc["keys"] = {"1": _b64(envelope.new_key())}
        try:
            # O_EXCL: two processes creating at once must not overwrite each other's key.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        except OSError as exc:
            raise self._error(f"cannot create it: {exc.strerror}") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out)
            out.flush()
            os.fsync(out.fileno())
        log.info("master key file created path=%s id=%s", self.path, doc["id"])
        self._doc = None
        return True

    def _load(self) -> dict[str, Any]:
        try:
            mode = self.path.stat().st_mode
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise self._error("it does not exist (SNS_MASTER_KEY_FILE)") from exc
        except OSError as exc:
            raise self._error(f"cannot read it: {exc.strerror}") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("master key file is readable by others path=%s mode=%o", self.path, mode)
        try:
            doc = json.loads(text)
            if doc.get("format") != FILE_FORMAT:
                raise ValueError("unknown format")
            keys = {int(v): base64.b64decode(k, validate=True) for v, k in doc["keys"].items()}
            if int(doc["current"]) not in keys or any(len(k) != 32 for k in keys.values()):
                raise ValueError("current version missing or a key of the wrong size")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise self._error("it is not a stripe-netsuite master key file") from exc
        self._doc = {"id": str(doc["id"]), "current": int(doc["current"]), "keys": keys}
        return self._doc

    def _cached(self) -> dict[str, Any]:
        return self._doc if self._doc is not None else self._load()

    def _write(self, doc: dict[str, Any]) -> None:
        payload = {
            "format": FILE_FORMAT,
            "id": doc["id"],
            "current": doc["current"],
            "keys": {str(v): _b64(k) for v, k in sorted(doc["keys"].items())},
        }
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(payload, out)
            out.flush()
            os.fsync(out.fileno())
        # A rename is atomic: a reader sees the old file or the new one, never half of one.
        os.replace(temp, self.path)
        self._doc = {"id": doc["id"], "current": doc["current"], "keys": dict(doc["keys"])}

    def _error(self, problem: str) -> ConfigError:
        return ConfigError(f"master key file: {problem}", file=str(self.path))

    # -- KeyProvider ------------------------------------------------------------

    def wrap(self, data_key: bytes, *, account: str) -> WrappedKey:
        """Wrap under the current version, creating the key file when there is none."""
        self.create()
        # Always the file as it is now: a version this process cached may be pruned soon.
        doc = self._load()
        version = doc["current"]
        sealed = envelope.seal(
            doc["keys"][version], data_key, context=_context(account, doc["id"], version)
        )
        return WrappedKey(self.name, doc["id"], version, envelope.to_blob(sealed))

    def unwrap(self, wrapped: WrappedKey, *, account: str) -> bytes:
        """Unwrap with the version that wrapped it, re-reading the file for a new version."""
        doc = self._cached()
        if wrapped.master_key_version not in doc["keys"]:
            doc = self._load()
        if wrapped.master_key_id != doc["id"]:
            raise self._error(
                f"the data key of {account!r} was wrapped by key file {wrapped.master_key_id}, "
                f"and this is key file {doc['id']}"
            )
        key = doc["keys"].get(wrapped.master_key_version)
        if key is None:
            raise self._error(
                f"it has no version {wrapped.master_key_version}, which wrapped the data key "
                f"of {account!r}"
            )
        context = _context(account, wrapped.master_key_id, int(wrapped.master_key_version or 0))
        return envelope.open_sealed(key, envelope.from_blob(wrapped.blob), context=context)

    def rewrap(self, wrapped: WrappedKey, *, account: str) -> WrappedKey:
        """Unwrap with the old version, wrap with the current one."""
        return self.wrap(self.unwrap(wrapped, account=account), account=account)

    def begin_rotation(self) -> None:
        """Add a new key version and make it current, keeping every older one."""
        # Never created here: a missing file during a rotation is a misplaced one.
        doc = self._load()
        version = max(doc["keys"]) + 1
        keys = {**doc["keys"], version: envelope.new_key()}
        self._write({"id": doc["id"], "current": version, "keys": keys})
        log.info("master key version added path=%s version=%s", self.path, version)

    def finish_rotation(self, in_use: Iterable[WrappedKey]) -> None:
        """Remove the versions that are neither current nor wrapping a data key."""
        doc = self._load()
        needed = {doc["current"]} | {
            w.master_key_version
            for w in in_use
            if w.provider == self.name and w.master_key_id == doc["id"]
        }
        keep = {v: k for v, k in doc["keys"].items() if v in needed}
        if keep != doc["keys"]:
            self._write({"id": doc["id"], "current": doc["current"], "keys": keep})
            dropped = sorted(set(doc["keys"]) - set(keep))
            log.info("master key versions removed path=%s versions=%s", self.path, dropped)

    def versions(self) -> list[int]:
        """The key versions the file holds (the current one last)."""
        doc = self._load()
        return sorted(doc["keys"], key=lambda v: (v == doc["current"], v))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
