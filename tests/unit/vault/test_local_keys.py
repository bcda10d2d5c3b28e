"""The local master key file: created 0600, versions added by rotation, pruned when unused."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.vault import LocalKeyFile, envelope


def test_the_first_wrap_creates_the_file_readable_by_its_owner_only(key_file: Path) -> None:
    keys = LocalKeyFile(key_file)
    data_key = envelope.new_key()
    wrapped = keys.wrap(data_key, account="main")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    doc = json.loads(key_file.read_text(encoding="utf-8"))
    assert doc["current"] == 1 and list(doc["keys"]) == ["1"]
    assert (wrapped.provider, wrapped.master_key_id, wrapped.master_key_version) == (
        "local",
        doc["id"],
        1,
    )
    assert data_key not in wrapped.blob
    assert keys.unwrap(wrapped, account="main") == data_key


def test_a_wrapped_key_is_bound_to_its_account(key_file: Path) -> None:
    keys = LocalKeyFile(key_file)
    wrapped = keys.wrap(envelope.new_key(), account="main")
    with pytest.raises(ConfigError, match="does not authenticate"):
        keys.unwrap(wrapped, account="other")


def test_rotation_adds_a_version_and_keeps_the_old_until_finished(key_file: Path) -> None:
    keys = LocalKeyFile(key_file)
    data_key = envelope.new_key()
    old = keys.wrap(data_key, account="main")
    keys.begin_rotation()
    assert keys.versions() == [1, 2]
    # A reader that cached the file before the rotation still unwraps the old wrapping ...
    stale = LocalKeyFile(key_file)
    assert stale.unwrap(old, account="main") == data_key
    new = keys.rewrap(old, account="main")
    assert new.master_key_version == 2
    # ... and re-reads the file for a version it has not seen.
    assert stale.unwrap(new, account="main") == data_key
    keys.finish_rotation([old])
    assert keys.versions() == [1, 2], "version 1 still wraps a key in use"
    keys.finish_rotation([new])
    assert keys.versions() == [2]
    with pytest.raises(ConfigError, match="no version 1"):
        LocalKeyFile(key_file).unwrap(old, account="main")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_key_from_another_key_file_is_named(tmp_path: Path) -> None:
    wrapped = LocalKeyFile(tmp_path / "a.key").wrap(envelope.new_key(), account="main")
    other = LocalKeyFile(tmp_path / "b.key")
    other.create()
    with pytest.raises(ConfigError, match="wrapped by key file") as info:
        other.unwrap(wrapped, account="main")
    assert info.value.file == str(tmp_path / "b.key")


def test_a_missing_or_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    wrapped = LocalKeyFile(tmp_path / "a.key").wrap(envelope.new_key(), account="main")
    with pytest.raises(ConfigError, match="does not exist") as info:
        LocalKeyFile(tmp_path / "absent.key").unwrap(wrapped, account="main")
    assert str(tmp_path / "absent.key") in str(info.value)
    junk = tmp_path / "junk.key"
    junk.write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a stripe-netsuite master key file"):
        LocalKeyFile(junk).unwrap(wrapped, account="main")


def test_create_never_overwrites(key_file: Path) -> None:
    assert LocalKeyFile(key_file).create() is True
    before = key_file.read_bytes()
    assert LocalKeyFile(key_file).create() is False
    assert key_file.read_bytes() == before


def test_a_file_readable_by_others_is_warned_about(
    key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = LocalKeyFile(key_file)
    wrapped = keys.wrap(envelope.new_key(), account="main")
    key_file.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        LocalKeyFile(key_file).unwrap(wrapped, account="main")
    assert "readable by others" in caplog.text
