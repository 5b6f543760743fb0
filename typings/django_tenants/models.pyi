# The part of django_tenants/models.py that Comptoir uses (see typings/README.md).
from types import TracebackType
from typing import Any, ClassVar, Self

from django.db import models

class TenantMixin(models.Model):
    auto_drop_schema: ClassVar[bool]
    auto_create_schema: ClassVar[bool]
    clone_mode: ClassVar[str]
    schema_name = models.CharField(max_length=63, unique=True)
    # Set per request by the middleware (the host the town was reached on); None otherwise.
    domain_url: str | None
    domain_subfolder: str | None

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None
    ) -> None: ...
    def activate(self) -> None: ...
    @classmethod
    def deactivate(cls) -> None: ...
    # force_drop is the first positional parameter in the library; Comptoir passes it by name only.
    def delete(self, *args: Any, force_drop: bool = False, **kwargs: Any) -> tuple[int, dict[str, int]]: ...
    def create_schema(self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1) -> bool: ...
    def get_primary_domain(self) -> DomainMixin | None: ...

class DomainMixin(models.Model):
    domain = models.CharField(max_length=253, unique=True)
    # settings.TENANT_MODEL in the library; this project's is tenants.Town.
    tenant = models.ForeignKey("tenants.Town", on_delete=models.CASCADE, related_name="domains")
    is_primary = models.BooleanField(default=True)
