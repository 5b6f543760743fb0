"""WSGI entry point (gunicorn). Comptoir is WSGI-only: django-tenants' schema switching is per thread."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
