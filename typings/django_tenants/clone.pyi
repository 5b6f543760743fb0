# The part of django_tenants/clone.py that Comptoir uses (see typings/README.md).
class CloneSchema:
    def clone_schema(
        self, base_schema_name: str, new_schema_name: str, clone_mode: str = "DATA", set_connection: bool = True
    ) -> None: ...
