"""One way to show an amount of money to a person: "£1,020.00".

Every page, e-mail, PDF and spreadsheet display column uses :func:`format_money`, so
the same amount never reads "£1020" in one place and "£1,020.00" in another. Raw
export columns keep plain numbers; this is for words people read.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENNY = Decimal("0.01")


def format_money(value, *, empty: str = "") -> str:
    """Pounds with a thousands separator and always two decimal places.

    ``25000`` → ``"£25,000.00"``; ``-5`` → ``"-£5.00"``. ``None`` or an empty string
    gives ``empty`` (the caller chooses, e.g. ``""`` or ``"Not set"``). Pennies round
    half up, as people expect (``0.005`` → ``"£0.01"``).
    """
    if value is None or value == "":
        return empty
    try:
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValueError(f"{value!r} is not an amount of money") from error
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount of money")
    amount = amount.quantize(PENNY, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"
