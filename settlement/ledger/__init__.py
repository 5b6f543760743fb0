"""The town's double-entry ledger (docs/money.md §3–5): accounts, entries and postings (models), the chart
of accounts (accounts), posting and reading entries (actions, queries), the posting rules of each event
(rules), checkout's events turned into postings (receivers), and the invariants checked every night."""
