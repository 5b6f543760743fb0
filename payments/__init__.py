"""Means of payment (docs/architecture.md §1), below checkout: the gateways (Stripe, the demo gateway), the
collector — who holds the residents' money for the merchants, the town's régie or the operator through
Stripe Connect — and the verification and storage of the gateways' events."""
