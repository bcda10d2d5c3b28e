"""The deposit mapping's inputs and outputs: its context, the payout as checked, its result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.mapping.transaction import expanded, id_of
from stripe_netsuite.settings import AccountConfig


def _empty() -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class DepositContext:
    """The account config plus the NetSuite ids a payout's deposit references.

    Keys are Stripe ids. A balance transaction whose id map lacks its Stripe object
    (the flow could not post it) goes to suspense with an `Alert`.
    """

    account: AccountConfig
    #: NetSuite currency ids by lower-case ISO code.
    currency_ids: Mapping[str, str] = field(default_factory=_empty)
    #: NetSuite customerPayment internal ids by Stripe charge id.
    payment_ids: Mapping[str, str] = field(default_factory=_empty)
    #: The NetSuite amount of each of those payments (in the charge's currency), when known.
    payment_amounts: Mapping[str, Decimal] = field(default_factory=_empty)
    #: NetSuite customerRefund / cashRefund ids by Stripe refund id.
    refund_ids: Mapping[str, str] = field(default_factory=_empty)
    #: NetSuite customerRefund / cashRefund ids of dispute withdrawals by Stripe dispute id.
    dispute_ids: Mapping[str, str] = field(default_factory=_empty)
    #: NetSuite customerPayment ids of reinstated dispute funds by Stripe dispute id.
    reversal_payment_ids: Mapping[str, str] = field(default_factory=_empty)
    #: NetSuite cashSale ids of reinstated dispute funds by Stripe dispute id.
    reversal_cash_sale_ids: Mapping[str, str] = field(default_factory=_empty)
    #: NetSuite journal entries that expensed a dispute's fee against Stripe clearing, by
    #: Stripe dispute id; the deposit then clears that fee from Stripe clearing instead
    #: of expensing it a second time.
    dispute_fee_ids: Mapping[str, str] = field(default_factory=_empty)
    #: The same for fees Stripe returned on a won dispute.
    dispute_fee_reversal_ids: Mapping[str, str] = field(default_factory=_empty)

    @property
    def stripe_account_id(self) -> str:
        """The Stripe account the payout belongs to."""
        return self.account.stripe_account_id


@dataclass(frozen=True)
class Alert:
    """A balance transaction that was booked to suspense (or otherwise needs a look)."""

    balance_transaction_id: str
    reason: str


@dataclass(frozen=True)
class DepositResult:
    """The records for one payout and the alerts raised while mapping it.

    ``linked_id`` is the NetSuite deposit named by ``netsuite_deposit_id`` metadata: the
    flow links it instead of creating the deposit.
    """

    records: tuple[NetSuiteRecord, ...]
    alerts: tuple[Alert, ...] = ()
    linked_id: str | None = None
    #: Summary posting: the detail CSV's file name and text.
    detail: tuple[str, str] | None = None


@dataclass(frozen=True)
class CheckedPayout:
    """What the deposit mapping reads of a Stripe payout, each part checked once."""

    id: str
    #: In the payout currency's minor units; negative for a withdrawal from the bank.
    amount: int
    #: Lower-case ISO code.
    currency: str
    status: str
    #: False for a manual payout, which Stripe does not itemize.
    automatic: bool
    #: When the money arrives (or was created), as a Unix time.
    date: int
    #: The payout's own balance transactions (and its failure's): the payout itself.
    own_ids: frozenset[str]
    #: When the payout failed, for the reversing journal entry.
    failure_date: int

    @classmethod
    def of(cls, payout: Mapping[str, Any]) -> CheckedPayout:
        """The payout's facts, or `MappingError` naming the first malformed part."""
        pid = payout.get("id")
        if not isinstance(pid, str) or not pid.startswith(kinds.get("payout").prefixes):
            raise exceptions.MappingError(f"not a Stripe payout: id is {pid!r}", stripe_id=str(pid))
        amount = payout.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise exceptions.MappingError(
                f"payout amount is not an integer: {amount!r}", stripe_id=pid
            )
        currency = payout.get("currency")
        if not isinstance(currency, str) or not currency:
            raise exceptions.MappingError("the payout has no currency", stripe_id=pid)
        when = payout.get("arrival_date") or payout.get("created")
        if not isinstance(when, int):
            raise exceptions.MappingError(
                "the payout has no arrival_date or created", stripe_id=pid
            )
        own = {
            i
            for i in (
                id_of(payout.get("balance_transaction")),
                id_of(payout.get("failure_balance_transaction")),
            )
            if i
        }
        failure = expanded(payout.get("failure_balance_transaction")) or {}
        failed_at = failure.get("created")
        return cls(
            id=pid,
            amount=amount,
            currency=currency.lower(),
            status=str(payout.get("status") or ""),
            automatic=payout.get("automatic") is not False,
            date=when,
            own_ids=frozenset(own),
            failure_date=failed_at if isinstance(failed_at, int) else when,
        )
