import django_filters as filters
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from programmes import access as programme_access
from programmes import contributions
from programmes.filters import ContributorFilter
from programmes.models import ChecklistItem, Contributor, Membership

from .. import services
from ..models import Invitation
from . import serializers as s


class InvitationFilter(filters.FilterSet):
    status = filters.ChoiceFilter(field_name="current_status", choices=Invitation.Status.choices)

    class Meta:
        model = Invitation
        fields = ["programme", "role", "partner", "email"]


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Invitations to join a programme, seen and made by its managers."""

    serializer_class = s.InvitationSerializer
    filterset_class = InvitationFilter
    ordering_fields = ["created_at", "expires_at", "email"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        programme_access.forget_memberships(request.user)

    def get_queryset(self):
        return Invitation.objects.visible_to(self.request.user).with_status()

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.invitation_create(
            actor=self.request.user, programme=data["programme"], email=data["email"],
            role=data["role"], partner=data.get("partner"))

    def _answer(self, invitation):
        fresh = self.get_queryset().get(pk=invitation.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(request=None, responses=s.InvitationSerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        """A new link and 14 more days; the old link stops working."""
        return self._answer(services.invitation_resend(actor=request.user,
                                                       invitation=self.get_object()))

    @extend_schema(request=None, responses=s.InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Withdraw the invitation; its link stops working."""
        return self._answer(services.invitation_revoke(actor=request.user,
                                                       invitation=self.get_object()))


class ContributorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, mixins.DestroyModelMixin,
                         viewsets.GenericViewSet):
    """People asked to rate items of a draft assessment. A partner lead (or a manager)
    asks by account (``user``) or by ``email``; DELETE stops asking (the row stays, with
    ``removed_at``, and what they rated is kept). A contributor sees their own rows."""

    serializer_class = s.ContributorSerializer
    filterset_class = ContributorFilter
    ordering_fields = ["created_at"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        programme_access.forget_memberships(request.user)

    def get_queryset(self):
        return (Contributor.objects.visible_to(self.request.user)
                .select_related("assessment__cycle__programme", "assessment__partner",
                                "invitation")
                .prefetch_related(Prefetch(
                    "checklist_items",
                    queryset=ChecklistItem.objects.select_related("principle"))))

    def perform_create(self, serializer):
        data = serializer.validated_data
        common = {"actor": self.request.user, "assessment": data["assessment"],
                  "perspective": data["perspective"],
                  "checklist_items": data.get("checklist_items", [])}
        with transaction.atomic():
            if data.get("user"):
                asked = contributions.contributor_add(user=data["user"], **common)
            else:
                asked = services.contributor_invite(email=data["email"], **common)
        serializer.instance = self.get_queryset().get(pk=asked.pk)

    def perform_destroy(self, instance):
        contributions.contributor_remove(actor=self.request.user, contributor=instance)

    @extend_schema(responses={200: s.ContributorSerializer})
    def destroy(self, request, *args, **kwargs):
        """Stop asking: the answer is the row, now ``removed``."""
        instance = self.get_object()
        self.perform_destroy(instance)
        return Response(self.get_serializer(self.get_queryset().get(pk=instance.pk)).data)


class MembershipEndView(APIView):
    """``POST /memberships/{id}/end/``: end a membership (managers). The answer lists the
    person's open actions in the programme, to hand on."""

    @extend_schema(request=None, responses=s.MembershipEndedSerializer)
    def post(self, request, pk):
        programme_access.forget_memberships(request.user)
        membership = get_object_or_404(Membership.objects.visible_to(request.user),
                                       pk=pk)
        ended = services.membership_end(actor=request.user, membership=membership)
        return Response(s.MembershipEndedSerializer(ended).data, status=status.HTTP_200_OK)

