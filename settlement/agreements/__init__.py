"""The partnership agreement (convention de partenariat et de mandat d'encaissement) between the town
and each merchant: the versions the town publishes, and each merchant's acceptance of a version —
online (a simple electronic signature: name, time, IP, SHA-256 of the exact text shown, a signed PDF
kept) or on paper (recorded by a town agent with the scan).

Settlement owns it because payouts check it: a merchant is paid only once they accepted the town's
current version (``queries.agreement_problem``, called by both collectors' ``payout_problem``).
Higher apps hear of acceptances and saved bank details through ``settlement.agreements.signals``.
"""
