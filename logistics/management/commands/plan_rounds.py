"""``manage.py plan_rounds <slug> [--date YYYY-MM-DD] [--seconds N]``: plans a town's delivery day.

The same action as the dispatcher's button and the beat task after each cut-off
(``logistics.planner.plan_rounds``). Without ``--date``: today in the town. Prints the rounds and
the deliveries left unassigned with their reason; exits 1 when the checker rejected the plan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.management.commands._town_command import get_town


class Command(BaseCommand):
    help = "Planifie les tournées de livraison d'une ville pour une journée (aujourd'hui par défaut)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="identifiant de la ville")
        parser.add_argument("--date", help="jour à planifier, AAAA-MM-JJ (par défaut : aujourd'hui)")
        parser.add_argument(
            "--seconds", type=float, default=None, help="temps de calcul (par défaut : réglage de la ville)"
        )

    def handle(
        self, *args: Any, slug: str, date: str | None = None, seconds: float | None = None, **options: Any
    ) -> None:
        from logistics.models import PlanStatus, Round
        from logistics.planner import plan_rounds
        from tenants.current import town_today

        town = get_town(slug)
        with town:
            try:
                day = dt.date.fromisoformat(date) if date else town_today()
            except ValueError as error:
                raise CommandError(f"Date invalide « {date} » : attendu AAAA-MM-JJ.") from error
            plan = plan_rounds(date=day, trigger="command", seconds=seconds)
            if plan.status != PlanStatus.PUBLISHED:
                for problem in plan.problems:
                    self.stderr.write(f"  {problem}")
                raise CommandError(f"{slug} {day} : plan refusé par le contrôle, rien n'est publié.")
            for round_ in Round.objects.filter(date=day).select_related("courier", "vehicle").prefetch_related("stops"):
                stops = list(round_.stops.all())
                self.stdout.write(
                    f"  {round_.courier.get_full_name() or round_.courier.email} · {round_.vehicle.name} · "
                    f"{round_.starts_at:%H:%M}–{round_.ends_at:%H:%M} · {len(stops)} arrêts · "
                    f"{round_.distance_m / 1000:.1f} km"
                )
            for delivery_id, reason in sorted(plan.unassigned.items()):
                self.stdout.write(f"  non planifiée : livraison {delivery_id} ({reason})")
            self.stdout.write(
                self.style.SUCCESS(
                    f"{slug} {day} : {plan.served} livraison(s) planifiée(s), {len(plan.unassigned)} non planifiée(s), "
                    f"{plan.distance_m / 1000:.1f} km, calcul {plan.seconds:.1f} s ({plan.solver})."
                )
            )
