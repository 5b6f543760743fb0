"""Operator REST API: towns (token auth for integrations, session auth for the console)."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tenants import actions, queries
from tenants.models import Town, TownKind
from tenants.validators import SLUG_MAX_LENGTH


class IsOperator(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and getattr(user, "is_operator", False))


class DomainSerializer(serializers.Serializer):
    domain = serializers.CharField()
    is_primary = serializers.BooleanField()
    is_verified = serializers.BooleanField()


class TownSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    domains = serializers.SerializerMethodField()

    class Meta:
        model = Town
        fields = (
            "slug",
            "name",
            "kind",
            "status",
            "insee_codes",
            "time_zone",
            "primary_color",
            "secondary_color",
            "tagline",
            "publisher_name",
            "publication_director",
            "url",
            "domains",
            "created_at",
        )
        read_only_fields = ("slug", "status", "url", "domains", "created_at", "time_zone")

    def get_url(self, town: Town) -> str:
        return actions.town_url(town)

    @extend_schema_field(DomainSerializer(many=True))
    def get_domains(self, town: Town) -> list[dict[str, object]]:
        # many=True makes it a list serializer: its data is a list.
        return cast(list[dict[str, object]], DomainSerializer(town.domains.all(), many=True).data)


class TownCreateSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=SLUG_MAX_LENGTH + 10)
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=TownKind.choices, default=TownKind.COMMUNE)
    custom_domain = serializers.CharField(required=False, allow_blank=True, max_length=253)
    admin_email = serializers.EmailField(required=False, allow_blank=True)
    primary_color = serializers.CharField(required=False, max_length=7)
    secondary_color = serializers.CharField(required=False, max_length=7)
    tagline = serializers.CharField(required=False, allow_blank=True, max_length=200)
    insee_codes = serializers.ListField(child=serializers.CharField(max_length=5), required=False)


def _as_drf_error(error: ValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {field: [str(m) for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
        )
    return serializers.ValidationError({"detail": error.messages})


@extend_schema_view(
    **{
        name: extend_schema(parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH)])
        for name in ("retrieve", "update", "partial_update", "suspend", "resume")
    }
)
class TownViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = TownSerializer
    permission_classes = (IsOperator,)
    lookup_field = "slug"

    def get_queryset(self) -> Any:
        return queries.list_towns_for_operator(self.request.user)

    @extend_schema(request=TownCreateSerializer, responses={201: TownSerializer})
    def create(self, request: Request) -> Response:
        """Provision a town (schema, domain, first admin) in one atomic action."""
        incoming = TownCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = {key: value for key, value in incoming.validated_data.items() if value not in ("", None)}
        try:
            result = actions.provision_town(**data)
        except ValidationError as error:
            raise _as_drf_error(error) from error
        payload = TownSerializer(result.town).data
        payload["provisioning"] = {"method": result.method, "seconds": round(result.seconds, 3)}
        return Response(payload, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        fields = {k: v for k, v in serializer.validated_data.items()}
        try:
            # An update's serializer always holds the town being updated.
            actions.update_branding(town=cast(Town, serializer.instance), **fields)
        except ValidationError as error:
            raise _as_drf_error(error) from error

    @extend_schema(request=None, responses=TownSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, slug: str) -> Response:
        town = actions.suspend_town(town=self.get_object())
        return Response(TownSerializer(town).data)

    @extend_schema(request=None, responses=TownSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, slug: str) -> Response:
        town = actions.resume_town(town=self.get_object())
        return Response(TownSerializer(town).data)
