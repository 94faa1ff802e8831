"""Who can see what: one queryset method per model, used by the API and the pages.

Every rule filters the model's own rows by subqueries, never by a join to the memberships
or to a programme's partners: a join repeats a row once per path to it (a partner in two
of the user's programmes came back twice, and ``.get()`` raised
``MultipleObjectsReturned``), while a subquery only asks whether a path exists.

The subqueries are uncorrelated ``IN (SELECT ...)``, which PostgreSQL plans as a semi-join
(alone) or as a hashed subplan run once (under an OR). Measured on the national data set
(docs/decisions.md, "Visibility and leavers"), the correlated ``EXISTS`` form lost twice:
under an OR it is costed as if run for every row, which turns on JIT compilation (40-350
ms a request in place of 2-10 ms), and alone it cannot read the memberships in programme
order, so the gap register of a person in five programmes took 200 ms in place of 65 ms.
``EXISTS`` is kept for what needs two of the row's own columns (``belongs``).
"""

from django.db import models
from django.db.models import Exists, OuterRef, Q


def member_programme_ids(user, **membership):
    """The ids of the programmes ``user`` belongs to (with ``membership`` conditions, e.g.
    ``role=...``), as a subquery."""
    from .models import Membership

    return Membership.objects.active().filter(user_id=user.pk, **membership).values(
        "programme_id")


# Where ``access.memberships_of`` keeps a person's memberships for the request.
MEMBERSHIPS = "_tracker_memberships"


def visible_programme_ids(user):
    """The programmes whose rows ``user`` sees: their ids themselves when this request
    has read the user's memberships already (``access.memberships_of``, which every page
    and most API requests read for their role checks), else the subquery. The literal
    list spares the planner a semi-join on every list, count and page of the request."""
    loaded = getattr(user, MEMBERSHIPS, None)
    if loaded is not None:
        return sorted(loaded)
    return member_programme_ids(user)


def partner_ids_of_programmes_of(user, **membership):
    """The ids of the partners of the programmes ``user`` belongs to, as a subquery."""
    from .models import Programme

    return Programme.partners.through.objects.filter(
        programme_id__in=member_programme_ids(user, **membership)
    ).values("partner_id")


def partner_ids_in_a_programme():
    from .models import Programme

    return Programme.partners.through.objects.values("partner_id")


def belongs(user_ref: str, programme_ref: str) -> Exists:
    """``EXISTS`` a membership of the person in the outer row's ``user_ref`` column in the
    programme of its ``programme_ref`` column, their account still active: e.g. an
    action's owner still belongs to the action's programme (DESIGN: leaving a programme
    ends what the person receives from it). Reads the unique (programme, user) index."""
    from .models import Membership

    return Exists(
        Membership.objects.filter(
            user_id=OuterRef(user_ref), programme_id=OuterRef(programme_ref),
            user__is_active=True, ended_at__isnull=True,
        )
    )


def programme_column(model) -> str:
    """The column of ``model``'s rows (or the join from them) that holds their programme."""
    path = model.programme_path
    return f"{path}_id" if path else "pk"


class ProgrammeScopedQuerySet(models.QuerySet):
    """Rows that hang off a programme; ``Model.programme_path`` leads from the row to it."""

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(
            **{f"{programme_column(self.model)}__in": visible_programme_ids(user)}
        )

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
        return self.filter(
            Q(pk__in=partner_ids_of_programmes_of(user)) | ~Q(pk__in=partner_ids_in_a_programme())
        )


class MembershipQuerySet(ProgrammeScopedQuerySet):
    def active(self):
        """Memberships that have not ended: only these give a role in a programme."""
        return self.filter(ended_at__isnull=True)


class OwnRowsQuerySet(ProgrammeScopedQuerySet):
    """Programme-scoped rows that also belong to one person (``owner_field``).

    A person asked to contribute to an assessment has no role in its programme: they see
    their own rows (the invitations to contribute they were given, the ratings they
    gave) and nothing else of it; the programme's members see them all.
    """

    owner_field = "user"

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(
            Q(**{f"{programme_column(self.model)}__in": visible_programme_ids(user)})
            | Q(**{f"{self.owner_field}_id": user.pk})
        )


class ContributorQuerySet(OwnRowsQuerySet):
    owner_field = "user"


class ContributionQuerySet(OwnRowsQuerySet):
    owner_field = "contributor"
