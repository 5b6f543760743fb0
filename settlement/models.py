"""The settlement app's models, as Django looks for them: declared in ``settlement.ledger.models``
(accounts, entries, postings, the town's settlement policy, releases) and ``settlement.payouts.models``
(bank details, batches, lines, blocks, bank statements, Connect transfers and their reversals).

Import a model from the package that declares it; this module only makes Django register them all
under the ``settlement`` label (their tables and migrations are unchanged).
"""

from settlement.ledger.models import (
    Account,
    JournalEntry,
    Posting,
    Release,
    SettlementPolicy,
)
from settlement.payouts.models import (
    ConnectTransfer,
    ConnectTransferReversal,
    MerchantPayoutAccount,
    PayoutBatch,
    PayoutBlock,
    PayoutLine,
    StatementImport,
    StatementLine,
)

__all__ = [
    "Account",
    "ConnectTransfer",
    "ConnectTransferReversal",
    "JournalEntry",
    "MerchantPayoutAccount",
    "PayoutBatch",
    "PayoutBlock",
    "PayoutLine",
    "Posting",
    "Release",
    "SettlementPolicy",
    "StatementImport",
    "StatementLine",
]
