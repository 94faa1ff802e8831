"""Who can see what: one queryset method per model, used by the API and the pages."""

from django.db import models


def member_programme_ids(user):
    """A subquery of the ids of the programmes ``user`` belongs to."""
    from .models import Membership

    return Membership.objects.filter(user_id=user.pk).values("programme_id")


class ProgrammeScopedQuerySet(models.QuerySet):
    """Rows that hang off a programme; ``Model.programme_path`` leads from the row to it."""

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        path = self.model.programme_path
        lookup = f"{path}__in" if path else "pk__in"
        return self.filter(**{lookup: member_programme_ids(user)})

    def in_programme(self, programme_id):
        path = self.model.programme_path
        return self.filter(**{f"{path}_id" if path else "pk": programme_id})


class PartnerQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Partners of the user's programmes, and partners not yet in any programme.

        A partner just added to the directory belongs to no programme yet; the
        manager who will add it to theirs must be able to see it.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        through = self.model.programmes.through
        partner_ids = through.objects.filter(
            programme_id__in=member_programme_ids(user)
        ).values("partner_id")
        return self.filter(models.Q(pk__in=partner_ids) | models.Q(programmes__isnull=True))
