from typing import Any, ClassVar

class MigrationExecutor:
    codename: ClassVar[str | None]
    args: Any
    options: dict[str, Any]
    PUBLIC_SCHEMA_NAME: str
    TENANT_DB_ALIAS: str

    def __init__(self, args: Any, options: dict[str, Any]) -> None: ...
    def run_migrations(self, tenants: list[str] | None = None) -> None: ...
