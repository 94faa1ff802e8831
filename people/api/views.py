import django_filters as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from programmes import access as programme_access
from programmes.models import Membership

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

