"""Error texts that may be kept at rest: codes, paths and our own words, never values.

NetSuite's ``detail`` and Stripe's messages are free text about the record they refused
("Invalid field value 1234.56 for amount", "No such customer: cus_x (jane@example.com)"),
so they can carry amounts, names and emails. What the store keeps of an error is built
from the parts that cannot: the error's class, NetSuite's error code and field path,
Stripe's code and parameter, the ids we attached as facts, and our own message. Text from
a remote service is replaced whole; our own message keeps its words while numbers that
look like money, emails and quoted values in it are replaced.

The bottom layer: it imports only the standard library and the error tree.
"""

from __future__ import annotations

import re

from stripe_netsuite import exceptions

#: What a removed value is replaced with.
REDACTED = "[redacted]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CURRENCY = r"(?:[$€£¥₹]\s?|\b[A-Z]{3}\s?)"
_GROUPED = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3})+,\d+"
_DECIMAL = r"\d+\.\d+|\d+,\d{2}(?!\d)"
_MONEY = re.compile(
    rf"(?<![\w.])(?<!\d:){_CURRENCY}?-?(?:{_GROUPED}|{_DECIMAL})(?:\s?[A-Z]{{3}}\b)?(?![\w])"
    rf"|{_CURRENCY}-?\d+(?![\w])"
)
#: Words after which a whole number is an amount (``total 800``, ``amount: 1200``).
_AFTER_MONEY_WORD = re.compile(
    r"(?i)\b(?P<word>amounts?|totals?|subtotal|balance|price|fees?|tax|sum|paid|refund(?:ed)?"
    r"|credit(?:ed)?|debit|discounts?|pre|band|up to)(?P<gap>\s*(?:[:=]|of|is|to)?\s*)"
    r"(?P<number>-?\d+(?:[.,]\d+)*)(?![\w])"
)
_QUOTED = re.compile(r"""(?<!\w)'(?P<single>[^'\n]*)'(?!\w)|"(?P<double>[^"\n]*)\"""")
#: A quoted identifier stays: a Stripe id, a config key, a NetSuite field name.
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[_.:][A-Za-z0-9]+)+")


def redact(text: str) -> str:
    """*text* with emails, quoted values and numbers that look like money replaced.

    Ids (``cus_123``, ``acct_1:in_1``), field names, HTTP statuses and counts are kept;
    a quoted value is kept only when it is an identifier such as ``'gl.stripe_clearing'``.
    """
    text = _EMAIL.sub(REDACTED, text)
    text = _QUOTED.sub(_quoted, text)
    text = _MONEY.sub(REDACTED, text)
    return _AFTER_MONEY_WORD.sub(lambda m: f"{m['word']}{m['gap']}{REDACTED}", text)


def _quoted(match: re.Match[str]) -> str:
    inner = match["single"] if match["single"] is not None else match["double"]
    if _IDENTIFIER.fullmatch(inner):
        return match[0]
    return REDACTED


def error_message(error: BaseException) -> str:
    """The message of *error* as the store keeps it: our words and facts, no values.

    For our own errors, remote text (NetSuite's ``detail``, the message of a wrapped
    third-party error such as Stripe's) is replaced whole wherever it appears, and the
    codes and paths that say what went wrong are kept as facts. Anything else is an
    unexpected error whose text is redacted as if it were ours.
    """
    if not isinstance(error, exceptions.SyncError):
        return redact(str(error))
    message = error.message
    for remote in sorted(_remote_texts(error), key=len, reverse=True):
        message = message.replace(remote, REDACTED)
    message = redact(message)
    facts = {key: redact(str(value)) for key, value in _facts(error).items()}
    if not facts:
        return message
    return f"{message} ({' '.join(f'{key}={value}' for key, value in facts.items())})"


def error_text(error: BaseException) -> str:
    """``"ClassName: message"`` with the message from `error_message`."""
    return f"{type(error).__name__}: {error_message(error)}"


def _remote_texts(error: exceptions.SyncError) -> list[str]:
    texts: list[str] = []
    if isinstance(error, exceptions.NetSuiteError) and error.detail:
        texts.append(error.detail)
    cause = _remote_cause(error)
    if cause is not None:
        texts.append(str(cause))
        user_message = getattr(cause, "user_message", None)
        if isinstance(user_message, str):
            texts.append(user_message)
    return [text for text in texts if text.strip()]


def _facts(error: exceptions.SyncError) -> dict[str, object]:
    facts: dict[str, object] = dict(error.facts)
    cause = _remote_cause(error)
    # Stripe's error code and parameter name what was refused, as NetSuite's code and path do.
    for name in ("code", "param"):
        value = getattr(cause, name, None)
        if isinstance(value, str) and value:
            facts.setdefault(name, value)
    return facts


def _remote_cause(error: exceptions.SyncError) -> BaseException | None:
    # An error of ours wrapping a third-party one (``raise ... from exc``) quotes its text.
    cause = error.__cause__
    if cause is None or isinstance(cause, exceptions.SyncError):
        return None
    return cause
