"""The town's double-entry ledger (money.md §8.3–8.5): accounts, entries and postings (models), the chart
of accounts (accounts), posting and reading entries (actions, queries), the posting rules of each event
(rules), checkout's events turned into postings (receivers), and the invariants checked every night."""
