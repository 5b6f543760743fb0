# The part of django_tenants/postgresql_backend/base.py that Comptoir uses (see typings/README.md).
import re

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper
from django_tenants.models import TenantMixin

def is_valid_schema_name(name: str) -> re.Match[str] | None: ...

class FakeTenant:
    schema_name: str
    tenant_type: str | None
    def __init__(self, schema_name: str, tenant_type: str | None = None) -> None: ...

class DatabaseWrapper(PostgresDatabaseWrapper):
    include_public_schema: bool
    tenant: TenantMixin | FakeTenant
    schema_name: str
    def set_tenant(self, tenant: TenantMixin | FakeTenant, include_public: bool = True) -> None: ...
    def set_schema(self, schema_name: str, include_public: bool = True, tenant_type: str | None = None) -> None: ...
    def set_schema_to_public(self) -> None: ...
