"""What every payout action starts with: the town's payout lock, the batch's row lock, the check that
a town agent acts, and the error they raise.

Runs, exports and statement imports of one town are serialised by a transaction-scoped advisory
lock keyed on the town's schema; the partial unique index on ``period_key`` is the backstop, so the
same period run twice — or twice at once, or after a worker died mid-run — yields one batch.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import TOWN_STAFF_ROLES, User
from settlement.payouts.models import PayoutBatch
from tenants.connection import connection

# First half of the advisory lock key: "payouts" among the project's advisory locks; the second
# half is the town's schema, so two towns never wait for each other.
_LOCK_CLASS = 0x50415931


class PayoutError(Exception):
    """An action the town cannot take now; the messages are French and shown to the user."""

    def __init__(self, messages: str | list[str]) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


def lock_town_payouts() -> None:
    """Takes the current town's payout lock until the end of the transaction (one run, export or import at a time)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_CLASS, connection.schema_name])


def locked_batch(batch: PayoutBatch) -> PayoutBatch:
    """The batch re-read under a row lock, for the rest of the transaction."""
    return PayoutBatch.objects.select_for_update().get(pk=batch.pk)


def require_staff(actor: User) -> None:
    """PayoutError unless an active town agent or admin acts."""
    if actor.role not in TOWN_STAFF_ROLES or not actor.is_active:
        raise PayoutError(_("Seuls les agents de la ville peuvent agir sur un reversement."))
