# The part of django_tenants/migration_executors/ that Comptoir uses (see typings/README.md).
from django_tenants.migration_executors.base import MigrationExecutor

def get_executor(codename: str | None = None) -> type[MigrationExecutor]: ...
