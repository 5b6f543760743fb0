"""URLs of a town's site, on its subdomain or custom domain (the town's schema)."""

from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("", include("catalog.urls")),
    path("api/v1/", include("catalog.urls_api")),
    path("", include("townsite.urls")),
    path("healthz", healthz, name="healthz"),
    path("compte/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]
