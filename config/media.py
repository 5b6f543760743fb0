"""Development media serving, restricted to the current town's folder.

Local-disk media are stored under MEDIA_ROOT/<schema>/ (django-tenants' storage). Serving the whole
MEDIA_ROOT on every host would let one town's site read another town's files; this view only serves
the current schema's folder, plus the operator-uploaded branding (public/branding/).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve


def serve_town_media(request: HttpRequest, path: str) -> HttpResponse:
    allowed_prefixes = (f"{connection.schema_name}/", "public/branding/")
    if ".." in path.split("/") or not path.startswith(allowed_prefixes):
        raise Http404(path)
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    # Uploaded files are never rendered as documents by the browser.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
