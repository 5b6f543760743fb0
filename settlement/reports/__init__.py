"""What the ledger shows people: merchants' statements and the town's états de reversement and journal
(statements), the finance dashboard and its exports (dashboard), and their pages (views, urls)."""
