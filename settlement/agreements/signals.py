"""Settlement's documented events about merchants joining the town's payouts, sent after commit.

* ``agreement_accepted(merchant_id: int, version: int)`` — a merchant accepted (online) or signed on
  paper version ``version`` (its number) of the town's agreement. Not sent again for a version
  already accepted.
* ``bank_details_saved(merchant_id: int)`` — a merchant's bank details (IBAN, or Stripe connected
  account) were saved.

Receivers run in the town's schema, outside the action's transaction; they must not raise (a
receiver's failure would not undo the action). The onboarding pipeline subscribes to both.
"""

from django.dispatch import Signal

agreement_accepted = Signal()
bank_details_saved = Signal()
