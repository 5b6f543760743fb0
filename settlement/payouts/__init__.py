"""Paying the merchants (docs/money.md §6–7): their bank details (bank_details), the town's treasury and
schedule (treasury), payout runs and their approval and export (runs), SEPA files (sepa), bank
statements and returned transfers (bank_statements, returns), Connect's execution — transfers per
released order and Stripe payouts per line (transfers, stripe_payouts) — and what differs between a
régie and Connect, asked of the town's collector (collectors: the settlement side of
``payments.collectors``)."""
