"""The status strings progress copies (it imports none of the apps above it) are real.

``programmes/progress.py`` counts actions, learning needs and allocations through the
programme's relations, so it names their statuses as plain strings. These tests tie
each copy to the enum it stands for: a renamed or added status fails here, not in a
figure that is quietly wrong.
"""

from actions.models import Action
from learning.models import FundingAllocation
from programmes import progress
from programmes.models import Rating


def test_rating_figures_are_the_ratings_of_a_response():
    assert set(progress.RATING_FIGURES) == set(Rating.values)


def test_closed_action_statuses_are_the_actions_that_are_finished():
    assert set(progress.CLOSED_ACTION_STATUSES) <= set(Action.Status.values)
    assert set(progress.CLOSED_ACTION_STATUSES) == {Action.Status.DONE, Action.Status.CANCELLED}


def test_holding_allocation_statuses_are_those_that_hold_money():
    assert set(progress.HOLDING_ALLOCATION_STATUSES) == set(FundingAllocation.HOLDING)
