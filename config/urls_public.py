"""URLs of the operator site, on the root domain (public schema)."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from config.health import healthz
from config.media import serve_town_media
from config.webhooks import stripe_webhook
from tenants import views as tenant_views
from tenants.api import TownViewSet


def no_signup(request: HttpRequest) -> HttpResponse:
    """Operator staff are created by the platform (``createsuperuser``, the console), never by
    self-service: residents sign up on their town's site, where their account lives."""
    raise Http404("no signup on the operator site")


router = DefaultRouter()
router.register("towns", TownViewSet, basename="town")

urlpatterns = [
    path("", tenant_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("internal/tls-ask", tenant_views.tls_ask, name="tls_ask"),
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    path("console/", include("tenants.urls_console")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("compte/signup/", no_signup),
    path("compte/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
if not settings.AWS_STORAGE_BUCKET_NAME:  # local disk: the proxy may serve /media/ itself in production
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", serve_town_media, name="media"))
