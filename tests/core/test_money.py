"""The one money format: pounds, a thousands separator, always two decimal places."""

from decimal import Decimal

import pytest

from core.money import format_money
from web.templatetags.tracker import money


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("25000"), "£25,000.00"),
    (Decimal("1020"), "£1,020.00"),
    (1020, "£1,020.00"),
    ("1020.5", "£1,020.50"),
    (Decimal("0.005"), "£0.01"),
    (Decimal("999.999"), "£1,000.00"),
    (Decimal("1234567.89"), "£1,234,567.89"),
    (0, "£0.00"),
    (Decimal("-5"), "-£5.00"),
    (Decimal("-1020.5"), "-£1,020.50"),
    (Decimal("-0.001"), "£0.00"),
    (12.1, "£12.10"),
])
def test_amounts_read_in_one_format(value, shown):
    assert format_money(value) == shown


def test_an_amount_not_set_reads_as_the_caller_asks():
    assert format_money(None) == ""
    assert format_money("", empty="Not set") == "Not set"


@pytest.mark.parametrize("value", ["lots", Decimal("NaN"), Decimal("Infinity"), object()])
def test_something_that_is_not_money_is_refused(value):
    with pytest.raises(ValueError, match="not an amount of money"):
        format_money(value)


def test_the_page_filter_uses_the_same_format():
    assert money(Decimal("25000")) == "£25,000.00"
    assert money(Decimal("-5")) == "-£5.00"
    assert money(None) == "£0.00"
    assert money(None, "No cap") == "No cap"
    assert money("not a number") == "not a number"
