"""URLs of a town's site, on its subdomain or custom domain (the town's schema)."""

from django.conf import settings
from django.urls import include, path, re_path

from config.health import healthz
from config.media import serve_town_media

urlpatterns = [
    path("", include("catalog.urls")),
    path("", include("checkout.urls")),
    path("gestion/mes-commandes/", include("checkout.urls_merchant")),
    path("gestion/commandes/", include(("checkout.urls_staff", "checkout_staff"))),
    path("", include("delivery.urls")),
    path("livreur/", include("logistics.urls_courier")),
    path("", include("logistics.urls_resident")),
    path("", include("settlement.payouts.urls")),
    path("gestion/finances/", include(("settlement.reports.urls", "finance"))),
    path("gestion/livraisons/rapports/", include(("logistics.urls_reports", "logistics_reports"))),
    path("gestion/livraisons/", include("logistics.urls_dispatch")),
    path("gestion/accompagnement/", include("onboarding.urls")),
    path("", include("onboarding.urls_public")),
    path("api/v1/", include("catalog.urls_api")),
    path("", include("townsite.urls")),
    path("healthz", healthz, name="healthz"),
    path("compte/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
if not settings.AWS_STORAGE_BUCKET_NAME:  # local disk: the proxy may serve /media/ itself in production
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", serve_town_media, name="media"))
