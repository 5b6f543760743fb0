"""Bringing the town's businesses online: the pipeline of prospects the town's agents follow, with
information sessions, agreements, assisted mode, photo shoots, posters and the impact dashboard.

Above settlement and logistics (docs/architecture.md §1): a prospect *is* a catalogue merchant (a draft
until it goes live) with its place in the pipeline beside it; the agreement the merchant accepts is
settlement's, the one payouts check. What lower apps do (an agreement accepted, bank details saved,
a merchant put live) reaches the pipeline through their documented events, subscribed from ``ready()``.
"""

from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Accompagnement des commerçants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from catalog.imports import register_import_kind
        from catalog.models import ImportKind
        from onboarding import receivers, receivers_agreements
        from onboarding.assisted.signals import connect_assisted_mode
        from onboarding.imports import run_prospect_import

        # Importing the task modules registers their Celery tasks (poster rendering, sessions' chores).
        from onboarding.posters import tasks as poster_tasks  # noqa: F401
        from onboarding.sessions import tasks as session_tasks  # noqa: F401

        register_import_kind(ImportKind.PROSPECTS, run_prospect_import)
        connect_assisted_mode()
        # The pipeline pages: moves from the catalogue's saves, and the digest and catch-up tasks.
        receivers.connect()
        receivers_agreements.connect()
