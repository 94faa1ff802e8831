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


@pytest.mark.django_db
def test_a_manager_sees_every_amount_in_the_one_format(client, world):
    # given a stream of £25,000 with a learning need to fund
    from learning.models import FundingAllocation

    from .. import factories as f

    stream = f.FundingStreamFactory(programme=world.programme, funder=world.partner_a,
                                    name="Workforce fund", amount=Decimal("25000"))
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    client.force_login(world.manager)

    # when the manager allocates £1,020 to the need
    form = client.get(f"/learning-needs/{need.pk}/funding/new/").content.decode()
    answer = client.post(f"/learning-needs/{need.pk}/funding/new/",
                         {"stream": stream.pk, "amount": "1020"}, follow=True)

    # then the choice, the message and the funding page all read the same way
    assert "Workforce fund (£25,000.00 of £25,000.00 available)" in form
    assert FundingAllocation.objects.get().amount == Decimal("1020")
    assert "£1,020.00 allocated from Workforce fund." in answer.content.decode()
    funding = client.get(f"/programmes/{world.programme.pk}/funding/").content.decode()
    assert "£1,020.00 allocated of £25,000.00, £23,980.00 available" in funding
