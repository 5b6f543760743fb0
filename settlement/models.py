"""The settlement app's models, as Django looks for them: declared in ``settlement.ledger.models``
(accounts, entries, postings, the town's settlement policy, releases) and ``settlement.payouts.models``
(bank details, batches, lines, blocks, bank statements, Connect transfers and their reversals) and
``settlement.agreements.models`` (the agreement's versions and acceptances).

Import a model from the package that declares it; this module only makes Django register them all
under the ``settlement`` label (their tables and migrations are unchanged).
"""

from settlement.agreements.models import AgreementAcceptance, AgreementTemplate
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
    "AgreementAcceptance",
    "AgreementTemplate",
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
