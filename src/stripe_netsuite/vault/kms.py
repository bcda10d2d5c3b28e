"""AWS KMS as the master key: data keys are wrapped by KMS, per account if configured.

boto3 is an optional dependency (``pip install 'stripe-netsuite[kms]'``), imported only
when a KMS call is made. The plaintext data key never reaches KMS during a rotation:
``ReEncrypt`` moves a wrapped key to the current KMS key inside KMS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.vault.keys import WrappedKey

#: The KMS encryption context key binding a wrapped data key to its account.
CONTEXT_KEY = "stripe-netsuite-account"


class KmsKeys:
    """Wraps data keys with AWS KMS: each account's own key, else the default one."""

    name = "kms"

    def __init__(
        self,
        *,
        default_key_id: str | None,
        account_key_ids: Mapping[str, str] | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        self.default_key_id = default_key_id
        self.account_key_ids = dict(account_key_ids or {})
        self.region = region
        self._client = client

    def __repr__(self) -> str:
        return f"KmsKeys(default_key_id={self.default_key_id!r})"

    def key_for(self, account: str) -> str:
        """The KMS key new data keys of *account* are wrapped with."""
        key_id = self.account_key_ids.get(account) or self.default_key_id
        if not key_id:
            raise ConfigError(
                f"account {account!r} has no kms_key_id and SNS_KMS_KEY_ID is not set",
                key=f"accounts.{account}.kms_key_id",
            )
        return key_id

    def wrap(self, data_key: bytes, *, account: str) -> WrappedKey:
        """``Encrypt`` under the account's KMS key, bound to the account."""
        key_id = self.key_for(account)
        answer = self._call(
            "Encrypt",
            account,
            KeyId=key_id,
            Plaintext=data_key,
            EncryptionContext=_context(account),
        )
        return WrappedKey(self.name, str(answer["KeyId"]), None, bytes(answer["CiphertextBlob"]))

    def unwrap(self, wrapped: WrappedKey, *, account: str) -> bytes:
        """``Decrypt`` with the key that wrapped it (named, so KMS refuses any other)."""
        answer = self._call(
            "Decrypt",
            account,
            CiphertextBlob=wrapped.blob,
            KeyId=wrapped.master_key_id,
            EncryptionContext=_context(account),
        )
        return bytes(answer["Plaintext"])

    def rewrap(self, wrapped: WrappedKey, *, account: str) -> WrappedKey:
        """``ReEncrypt`` under the account's current KMS key and its newest key material."""
        answer = self._call(
            "ReEncrypt",
            account,
            CiphertextBlob=wrapped.blob,
            SourceKeyId=wrapped.master_key_id,
            SourceEncryptionContext=_context(account),
            DestinationKeyId=self.key_for(account),
            DestinationEncryptionContext=_context(account),
        )
        return WrappedKey(self.name, str(answer["KeyId"]), None, bytes(answer["CiphertextBlob"]))

    def begin_rotation(self) -> None:
        """Nothing to add here: KMS versions its key material itself (automatic rotation)."""

    def finish_rotation(self, in_use: Iterable[WrappedKey]) -> None:
        """Nothing to remove: KMS keeps old key material for as long as the key exists."""

    def _call(self, operation: str, account: str, **params: Any) -> dict[str, Any]:
        client = self._kms()
        from botocore.exceptions import BotoCoreError, ClientError

        method = {"Encrypt": "encrypt", "Decrypt": "decrypt", "ReEncrypt": "re_encrypt"}
        try:
            answer: dict[str, Any] = getattr(client, method[operation])(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise ConfigError(
                f"AWS KMS {operation} for account {account!r} failed: {code}"
            ) from exc
        except BotoCoreError as exc:
            raise ConfigError(
                f"AWS KMS {operation} for account {account!r} failed: {type(exc).__name__}"
            ) from exc
        return answer

    def _kms(self) -> Any:
        if self._client is None:
            try:
                import boto3
            except ImportError as exc:
                raise ConfigError(
                    "AWS KMS needs boto3: pip install 'stripe-netsuite[kms]'"
                ) from exc
            self._client = boto3.client("kms", region_name=self.region)
        return self._client


def _context(account: str) -> dict[str, str]:
    return {CONTEXT_KEY: account}
