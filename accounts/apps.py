from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        from accounts.actions import invite_town_admin
        from tenants.signals import town_provisioned

        town_provisioned.connect(invite_town_admin, dispatch_uid="accounts-invite-town-admin")
