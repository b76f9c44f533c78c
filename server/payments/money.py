"""Amounts are integers in the currency's minor unit; this turns them into words."""

from __future__ import annotations

# ISO 4217 currencies whose minor unit is not the cent.
_DIGITS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}


def minor_digits(currency: str) -> int:
    return _DIGITS.get(currency.upper(), 2)


def format_money(amount: int, currency: str) -> str:
    """``1250, "EUR"`` -> ``"12.50 EUR"``; ``1500, "JPY"`` -> ``"1500 JPY"``."""
    digits = minor_digits(currency)
    if digits == 0:
        return f"{amount} {currency}"
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d} {currency}"
