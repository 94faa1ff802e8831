"""Filters the API lists and the pages share."""

import django_filters
from django import forms

from .fields import MAX_PK

NOT_AN_ID = "Give the record's id as a number."


class IdField(forms.IntegerField):
    default_error_messages = {"invalid": NOT_AN_ID}


class IdFilter(django_filters.NumberFilter):
    """A related row by its id, compared with the column.

    Unlike django-filter's ``ModelChoiceFilter`` it reads nothing to check the id: an id
    of no row, or of a row in a programme the user does not belong to, gives an empty
    list (the list's own queryset keeps its scope), and only text that is not a whole
    number is a 400.
    """

    field_class = IdField

    def get_max_validator(self):
        return None  # an id out of range matches nothing; it is not a mistake to point out

    def filter(self, qs, value):
        if value is not None and not 0 < value <= MAX_PK:
            return qs.none()
        return super().filter(qs, value)
