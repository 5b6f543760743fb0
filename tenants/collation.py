"""Lists sorted by name the way a French reader expects: "Céramiques" before "Cycles", "Coiffure Élodie"
before "Coiffure Thomas", "de Lattre" among the D's.

The databases use the C collation (code-point order: capitals first, accented letters after "z"), and
the embedded PostgreSQL (pgserver) is built without ICU, so no French collation can be relied upon
(``CREATE COLLATION ... (provider = icu)`` fails there). Every list a person sees sorted by a name is
therefore ordered by the name folded as the search folds it (``public.comptoir_unaccent``, then lower
case), then by the name itself, so that the order is total and the same everywhere.
"""

from __future__ import annotations

from django.db.models import F, Func, TextField
from django.db.models.expressions import Expression, OrderBy


class FoldedText(Func):
    """The text without accents, in lower case: what French alphabetical order compares first."""

    template = "lower(public.comptoir_unaccent(%(expressions)s))"
    output_field = TextField()


def by_name(field: str | Expression = "name", *, descending: bool = False) -> tuple[OrderBy, OrderBy]:
    """``order_by`` terms putting ``field`` (a field name, ``merchant__name``, or an expression) in
    French alphabetical order: accents and case ignored, then the exact text to break ties."""
    text: F | Expression = F(field) if isinstance(field, str) else field
    return (
        FoldedText(text).desc() if descending else FoldedText(text).asc(),
        text.desc() if descending else text.asc(),
    )
