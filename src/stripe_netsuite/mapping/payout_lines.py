"""Balance transactions → deposit lines in the payout's minor units.

Payments are selected from Undeposited Funds, refunds and dispute withdrawals clear the
Stripe clearing account, fees are aggregated per account and fee type, and anything
that cannot be mapped lands in suspense with an `Alert`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from stripe_netsuite import exceptions, kinds, money
from stripe_netsuite.mapping.payout_context import Alert, CheckedPayout, DepositContext
from stripe_netsuite.mapping.reconciliation import SUSPENSE_MEMO
from stripe_netsuite.mapping.transaction import expanded, id_of

Sublist = Literal["payment", "other", "cashback"]


@dataclass
class Line:
    """One deposit line, before it becomes a sublist entry of a deposit or journal."""

    sublist: Sublist
    target: str  # account id, or payment internal id for payment lines
    minor: int  # positive, in the payout currency's minor unit
    memo: str
    suspense: bool = False
    #: The (first) balance transaction behind the line.
    source: str = ""
    #: Position of that balance transaction in the payout's listing; -1 for a line that
    #: sums many (fees, exchange differences, the remainder). A split deposit keeps the
    #: lines of one balance transaction together and in this order.
    order: int = -1


@dataclass
class _Fees:
    minor: int = 0
    count: int = 0


class LineBuilder:
    """Turns balance transactions into deposit lines in the payout's minor units."""

    def __init__(self, po: CheckedPayout, ctx: DepositContext) -> None:
        self.po = po
        self.ctx = ctx
        self.gl = ctx.account.gl
        self.lines: list[Line] = []
        self.alerts: list[Alert] = []
        self.suspense_alerts: list[Alert] = []
        self.fees: dict[tuple[str, str, Sublist], _Fees] = {}
        self.net = 0
        self.seen: set[str] = set()
        # Charge id → its payment and the Stripe amounts settled for it in this payout.
        self.charges: dict[str, _Charge] = {}
        self.pending_reversals: list[tuple[Mapping[str, Any], str | None, int]] = []
        self.fx_minor = 0
        self.fx_count = 0
        # Balance transaction id → its position in the listing (see `Line.order`).
        self.positions: dict[str, int] = {}

    # -- intake ---------------------------------------------------------------------

    def add(self, bt: Mapping[str, Any]) -> None:
        """Take in one balance transaction of the payout."""
        start = len(self.lines)
        self._take(bt)
        _stamp(self.lines[start:], len(self.positions) - 1)

    def _take(self, bt: Mapping[str, Any]) -> None:
        btid, category, amount, fee = self._read(bt)
        if btid in self.seen:
            return  # listed twice (pages that overlapped): it moved the money once
        self.seen.add(btid)
        self.positions[btid] = len(self.positions)
        source = id_of(bt.get("source"))
        if btid in self.po.own_ids or (
            category in ("payout", "payout_reversal") and source == self.po.id
        ):
            return  # the payout's own movement (and its failure) is the payout itself
        self.net += amount - fee
        self._fees(bt, btid, category, fee, source)
        if amount == 0:
            return
        if category in ("charge", "payment"):
            self._charge(bt, btid, source, amount)
        elif category == "refund":
            self._cleared(btid, amount, source, self.ctx.refund_ids, "refund")
        elif category == "dispute":
            self._cleared(btid, amount, source, self.ctx.dispute_ids, "dispute withdrawal")
        elif category == "dispute_reversal" and bt.get("exchange_rate") not in (None, ""):
            # Settled from another currency: the reinstatement waits in Stripe clearing.
            self._cleared(btid, amount, source, self.ctx.dispute_ids, "dispute reversal")
        elif category == "dispute_reversal":
            self._dispute_reversal(btid, amount, source)
        elif category == "partial_capture_reversal":
            self.pending_reversals.append((bt, _charge_of(bt.get("source")), amount))
        else:
            self._by_category(bt, btid, category, amount, source)

    def _read(self, bt: Mapping[str, Any]) -> tuple[str, str, int, int]:
        btid = bt.get("id")
        if not isinstance(btid, str) or not btid:
            raise exceptions.MappingError("a balance transaction has no id", stripe_id=self.po.id)
        values = []
        for name in ("amount", "fee"):
            value = bt.get(name, 0 if name == "fee" else None)
            if isinstance(value, bool) or not isinstance(value, int):
                raise exceptions.MappingError(
                    f"balance transaction {btid}: {name} is not an integer: {value!r}",
                    stripe_id=self.po.id,
                )
            values.append(value)
        amount, fee = values
        net = bt.get("net", amount - fee)
        if net != amount - fee:
            raise exceptions.MappingError(
                f"balance transaction {btid}: net {net!r} is not amount {amount} − fee {fee}",
                stripe_id=self.po.id,
            )
        currency = str(bt.get("currency") or self.po.currency).lower()
        if currency != self.po.currency:
            raise exceptions.MappingError(
                f"balance transaction {btid} is in {currency.upper()} but the payout is in"
                f" {self.po.currency.upper()}",
                stripe_id=self.po.id,
            )
        category = bt.get("reporting_category") or bt.get("type")
        if not isinstance(category, str):
            raise exceptions.MappingError(
                f"balance transaction {btid} has no reporting_category", stripe_id=self.po.id
            )
        return btid, category, amount, fee

    # -- one kind each ----------------------------------------------------------------

    def _charge(self, bt: Mapping[str, Any], btid: str, source: str | None, amount: int) -> None:
        pid = self.ctx.payment_ids.get(source) if source else None
        if not source or not pid:
            self._suspense(bt, btid, amount, f"the customer payment of {source} is not in NetSuite")
            return
        rate = bt.get("exchange_rate")
        entry = self.charges.setdefault(source, _Charge(payment_id=pid))
        entry.stripe += amount
        charge = expanded(bt.get("source"))
        if charge and isinstance(charge.get("amount_captured"), int):
            entry.released = max(int(charge.get("amount", 0)) - charge["amount_captured"], 0)
        if rate not in (None, ""):
            entry.rate = _rate(rate, btid, self.po.id)
        entry.bt_ids.append(btid)

    def _cleared(
        self, btid: str, amount: int, source: str | None, ids: Mapping[str, str], what: str
    ) -> None:
        if not source or source not in ids:
            self._suspense_raw(btid, amount, f"its {what} is not in NetSuite ({source})")
            return
        self._line(self._clearing(), amount, f"Stripe {what} {source} ({btid})")

    def _dispute_reversal(self, btid: str, amount: int, source: str | None) -> None:
        if source and source in self.ctx.reversal_payment_ids:
            pid = self.ctx.reversal_payment_ids[source]
        elif source and source in self.ctx.reversal_cash_sale_ids:
            # The cash sale waits in Undeposited Funds, like a payment.
            pid = self.ctx.reversal_cash_sale_ids[source]
        else:
            self._suspense_raw(btid, amount, f"its dispute reversal is not in NetSuite ({source})")
            return
        if amount < 0:
            self._suspense_raw(btid, amount, "a negative dispute reversal")
            return
        memo = f"Stripe dispute reversal {source} ({btid})"
        self.lines.append(Line("payment", _payment_id(pid, btid, self.po.id), amount, memo,
                                source=btid))  # fmt: skip

    def _by_category(
        self, bt: Mapping[str, Any], btid: str, category: str, amount: int, source: str | None
    ) -> None:
        account = _configured(self.gl.reporting_categories, category)
        label = f"Stripe {category} {source or ''} ({btid})".replace("  ", " ")
        if category == "fee":
            # Stripe's own charges (billing, Radar, FX fees): aggregated like processing fees.
            self._fee_bucket(
                account or self._account("stripe_fees"), str(bt.get("type") or "fee"), amount
            )
        elif account:
            self._line(account, amount, label)
        elif category in ("refund_failure", "payout_reversal"):
            self._line(self._clearing(), amount, label)
        elif category == "payout":
            self._suspense(bt, btid, amount, "another payout's balance transaction")
        else:
            self._suspense(bt, btid, amount, "no account is configured for its reporting category")

    def _fees(
        self, bt: Mapping[str, Any], btid: str, category: str, fee: int, source: str | None
    ) -> None:
        account = self._dispute_fee_account(category, source)
        details = bt.get("fee_details") or []
        if not isinstance(details, list):
            raise exceptions.MappingError(
                f"balance transaction {btid}: fee_details is not a list", stripe_id=self.po.id
            )
        itemized = 0
        for entry in details:
            value = entry.get("amount") if isinstance(entry, Mapping) else None
            if isinstance(value, bool) or not isinstance(value, int):
                raise exceptions.MappingError(
                    f"balance transaction {btid}: a fee_details amount is not an integer",
                    stripe_id=self.po.id,
                )
            itemized += value
            self._fee(account, str(entry.get("type") or "stripe_fee"), value)
        if fee != itemized:
            # A fee without (complete) details is still a Stripe fee.
            self._fee(account, "stripe_fee", fee - itemized)

    def _dispute_fee_account(self, category: str, source: str | None) -> str | None:
        """Where a dispute's fees go: None for other balance transactions."""
        if category == "dispute":
            journals = self.ctx.dispute_fee_ids
        elif category == "dispute_reversal":
            journals = self.ctx.dispute_fee_reversal_ids
        else:
            return None
        if source and source in journals:
            # The dispute flow already expensed the fee against Stripe clearing.
            return self._clearing()
        return self._account("dispute_fees")

    def _fee(self, dispute_account: str | None, fee_type: str, minor: int) -> None:
        if minor == 0:
            return
        account = dispute_account or self.gl.reporting_categories.get(f"fee:{fee_type}")
        # A fee is money out (cash back); a returned fee is money in (other).
        self._fee_bucket(account or self._account("stripe_fees"), fee_type, -minor,
                         dispute=dispute_account is not None)  # fmt: skip

    def _fee_bucket(
        self, account: str, fee_type: str, amount: int, *, dispute: bool = False
    ) -> None:
        kind = "dispute fee" if dispute else "fee"
        direction: Sublist = "cashback" if amount < 0 else "other"
        bucket = self.fees.setdefault((account, f"{kind} ({fee_type})", direction), _Fees())
        bucket.minor += abs(amount)
        bucket.count += 1

    # -- lines ------------------------------------------------------------------------

    def _line(self, account: str, amount: int, memo: str, *, suspense: bool = False) -> None:
        if amount == 0:
            return
        sub: Sublist = "other" if amount > 0 else "cashback"
        self.lines.append(Line(sub, account, abs(amount), memo, suspense))

    def _suspense(self, bt: Mapping[str, Any], btid: str, amount: int, reason: str) -> None:
        kind = f"type {bt.get('type')}, reporting category {bt.get('reporting_category')}"
        self._suspense_raw(btid, amount, f"{reason} ({kind})")

    def _suspense_raw(self, btid: str, amount: int, reason: str) -> None:
        alert = Alert(btid, reason)
        self.alerts.append(alert)
        self.suspense_alerts.append(alert)
        self._line(
            self._account("suspense"), amount, f"{SUSPENSE_MEMO}{btid}: {reason}", suspense=True
        )

    def _clearing(self) -> str:
        return self._account("stripe_clearing")

    def _account(self, name: str) -> str:
        value = getattr(self.gl, name)
        if not value:
            raise exceptions.MappingError(
                f"the payout needs gl.{name}, which is not configured",
                stripe_id=self.po.id,
                missing=f"gl.{name}",
            )
        return str(value)

    # -- closing ----------------------------------------------------------------------

    def finish(self) -> list[Line]:
        """Every line: charges closed, fees aggregated, any remainder explained."""
        for bt, charge, amount in self.pending_reversals:
            start = len(self.lines)
            self._reversal(bt, charge, amount)
            _stamp(self.lines[start:], self.positions.get(str(bt["id"]), -1))
        for charge, entry in self.charges.items():
            start = len(self.lines)
            self._close_charge(charge, entry)
            _stamp(self.lines[start:], self.positions.get(entry.bt_ids[0], -1))
        self._close_fx()
        for (account, label, direction), bucket in self.fees.items():
            noun = "balance transaction" if bucket.count == 1 else "balance transactions"
            memo = f"Stripe {label}, {bucket.count} {noun}"
            if direction == "other":
                memo = f"Stripe {label} returned, {bucket.count} {noun}"
            self.lines.append(Line(direction, account, bucket.minor, memo))
        self._close_remainder()
        return self.lines

    def _reversal(self, bt: Mapping[str, Any], charge: str | None, amount: int) -> None:
        entry = self.charges.get(charge) if charge else None
        if entry is not None:
            entry.stripe += amount  # the payment records the captured amount only
            return
        btid = str(bt["id"])
        if charge is None:
            self._by_category(bt, btid, "partial_capture_reversal", amount, charge)
            return
        # Its charge was paid out in another payout, whose deposit booked the
        # released part to Stripe clearing: clear it here.
        self._line(self._clearing(), amount, f"Stripe {charge}: uncaptured part released ({btid})")

    def _close_charge(self, charge: str, entry: _Charge) -> None:
        label = f"Stripe {charge} ({', '.join(entry.bt_ids)})"
        known = self.ctx.payment_amounts.get(charge)
        if entry.rate is not None:
            # Cross-currency: the payment sits in Stripe clearing at Stripe's rate; clear
            # its settled value and book what is left as an exchange difference.
            if known is None:
                value = entry.stripe
            else:
                settled = (Decimal(known) * entry.rate).quantize(
                    Decimal(1).scaleb(-money.exponent(self.po.currency)), ROUND_HALF_UP
                )
                value = money.to_minor(settled, self.po.currency)
            memo = f"{label}: customer payment {entry.payment_id} at rate {entry.rate}"
            self._line(self._clearing(), value, memo)
            if value != entry.stripe:
                self.fx_minor += entry.stripe - value
                self.fx_count += 1
            return
        if known is None:
            paid = entry.stripe
        else:
            try:
                paid = money.to_minor(Decimal(known), self.po.currency)
            except ValueError as exc:
                raise exceptions.MappingError(
                    f"payment amount {known} of {charge} is finer than"
                    f" {self.po.currency.upper()} allows",
                    stripe_id=self.po.id,
                ) from exc
        pid = _payment_id(entry.payment_id, entry.bt_ids[0], self.po.id)
        if paid <= 0:
            self._suspense_raw(
                entry.bt_ids[0], entry.stripe, f"payment of {charge} is not positive"
            )
            return
        self.lines.append(Line("payment", pid, paid, label, source=entry.bt_ids[0]))
        if paid != entry.stripe and entry.stripe - paid == entry.released:
            # Partially captured, its reversal in another payout: Stripe clearing carries
            # the released part until that payout's deposit clears it.
            self._line(self._clearing(), entry.stripe - paid, f"{label}: uncaptured part released")
        elif paid != entry.stripe:
            self._suspense_raw(
                entry.bt_ids[0],
                entry.stripe - paid,
                f"the NetSuite payment of {charge} differs from Stripe's amount",
            )

    def _close_fx(self) -> None:
        if not self.fx_minor:
            return
        noun = "payment" if self.fx_count == 1 else "payments"
        memo = f"Exchange differences, {self.fx_count} cross-currency {noun}"
        if self.gl.fx_differences:
            self._line(self.gl.fx_differences, self.fx_minor, memo)
        else:
            self._suspense_raw(self.po.id, self.fx_minor, f"{memo} (gl.fx_differences not set)")

    def _close_remainder(self) -> None:
        remainder = self.po.amount - self.net
        if remainder == 0:
            return
        if self.po.amount < 0 or not self.po.automatic:
            # Stripe does not itemize these: the difference is Stripe balance carried in
            # (manual payouts) or pulled from the bank (negative payouts).
            self._line(
                self._clearing(), remainder, f"Stripe balance not itemized by payout {self.po.id}"
            )
            return
        got = money.to_decimal(self.net, self.po.currency)
        self._suspense_raw(
            self.po.id,
            remainder,
            f"the balance transactions add up to {got}, not the payout amount",
        )


@dataclass
class _Charge:
    payment_id: str
    stripe: int = 0
    rate: Decimal | None = None
    bt_ids: list[str] = field(default_factory=list)
    #: Authorized but not captured (minor units of the charge), released by a
    #: partial-capture reversal that may fall in another payout.
    released: int = 0


def _stamp(lines: list[Line], order: int) -> None:
    for line in lines:
        line.order = order


def _configured(accounts: Mapping[str, str], category: str) -> str | None:
    if category in accounts:
        return accounts[category]
    for key, value in accounts.items():
        if key.endswith("*") and category.startswith(key[:-1]):
            return value
    return None


def _charge_of(source: Any) -> str | None:
    obj = expanded(source)
    sid = id_of(source)
    if sid and sid.startswith(kinds.get("charge").prefixes):
        return sid
    return id_of(obj.get("charge")) if obj else None


def _rate(value: Any, btid: str, payout_id: str) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation as exc:
        raise exceptions.MappingError(
            f"balance transaction {btid}: exchange_rate {value!r} is not a number",
            stripe_id=payout_id,
        ) from exc
    if rate <= 0:
        raise exceptions.MappingError(
            f"balance transaction {btid}: exchange_rate {value!r} is not positive",
            stripe_id=payout_id,
        )
    return rate


def _payment_id(value: str, btid: str, payout_id: str) -> str:
    if not str(value).isdigit():
        raise exceptions.MappingError(
            f"NetSuite payment id {value!r} for {btid} is not an internal id",
            stripe_id=payout_id,
        )
    return str(value)
