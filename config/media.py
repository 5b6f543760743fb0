"""Development media serving: the current town's photos and the towns' branding, nothing else.

Local-disk media are stored under MEDIA_ROOT/<schema>/ (django-tenants' storage). Serving the whole
MEDIA_ROOT on every host would let one town's site read another town's files; this view only serves
the current schema's photos, plus the operator-uploaded branding (public/branding/). Only those
folders are public: a file written anywhere else under MEDIA_ROOT (by older code, or by a field
that forgot the private storage) is not served, and private files (tenants.private_files) live
outside MEDIA_ROOT altogether. infra/Caddyfile and infra/nginx.conf.example serve the same folders.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.static import serve

from tenants.connection import connection

# Folders of MEDIA_ROOT/<schema>/ and MEDIA_ROOT/public/ that hold public files.
TOWN_PUBLIC_FOLDERS = ("photos/",)
PLATFORM_PUBLIC_FOLDERS = ("branding/",)


def is_public_media_path(path: str, *, schema_name: str) -> bool:
    """Whether ``path`` (relative to MEDIA_ROOT) is a public file of the town ``schema_name``."""
    allowed = (
        *(f"{schema_name}/{folder}" for folder in TOWN_PUBLIC_FOLDERS),
        *(f"public/{folder}" for folder in PLATFORM_PUBLIC_FOLDERS),
    )
    if ".." in path.split("/") or not path.startswith(allowed):
        return False
    # A symbolic link into the private folder is still a private file.
    resolved = (Path(settings.MEDIA_ROOT) / path).resolve()
    return not resolved.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())


def serve_town_media(request: HttpRequest, path: str) -> HttpResponseBase:
    if not is_public_media_path(path, schema_name=connection.schema_name):
        raise Http404(path)
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    # Uploaded files are never rendered as documents by the browser.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
