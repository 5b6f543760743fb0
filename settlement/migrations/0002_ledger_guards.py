"""Database guards of the ledger (docs/money.md §5, invariants 1 and 2), created in every town schema.

- A DEFERRABLE INITIALLY DEFERRED constraint trigger checks at commit that each entry touched has
  at least two postings summing to zero (fired by new postings and by new entries, so an entry
  without postings is refused too).
- Row triggers refuse UPDATE and DELETE on postings and entries: corrections are reversal entries.

django-tenants runs this migration once per town schema (never in public: settlement is a tenant
app), so the functions are created unqualified, in the town's own schema, next to their tables.
They name the table through TG_TABLE_SCHEMA rather than the search_path: a deferred check fires at
commit, when the connection may already have switched to another schema, and the same body stays
correct in a schema cloned from the template or renamed from a spare. Plain PL/pgSQL and
``EXECUTE FUNCTION``: PostgreSQL 11 and later (pgserver's 16, CI's 15).
"""

from django.db import migrations

CREATE = r"""
CREATE FUNCTION settlement_check_entry_balances() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    checked_entry bigint;
    total bigint;
    line_count integer;
BEGIN
    IF TG_TABLE_NAME = 'settlement_posting' THEN
        checked_entry := NEW.entry_id;
    ELSE
        checked_entry := NEW.id;
    END IF;
    EXECUTE format(
        'SELECT COALESCE(SUM(amount_cents), 0), COUNT(*) FROM %I.settlement_posting WHERE entry_id = $1',
        TG_TABLE_SCHEMA
    ) INTO total, line_count USING checked_entry;
    IF total <> 0 OR line_count < 2 THEN
        RAISE EXCEPTION 'journal entry % does not balance (sum of postings %, % postings)',
            checked_entry, total, line_count
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER settlement_posting_entry_balances
    AFTER INSERT ON settlement_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION settlement_check_entry_balances();

CREATE CONSTRAINT TRIGGER settlement_journalentry_balances
    AFTER INSERT ON settlement_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION settlement_check_entry_balances();

CREATE FUNCTION settlement_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %.% is refused: the ledger is append-only, post a reversal entry',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER settlement_posting_append_only
    BEFORE UPDATE OR DELETE ON settlement_posting
    FOR EACH ROW EXECUTE FUNCTION settlement_refuse_change();

CREATE TRIGGER settlement_journalentry_append_only
    BEFORE UPDATE OR DELETE ON settlement_journalentry
    FOR EACH ROW EXECUTE FUNCTION settlement_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS settlement_journalentry_append_only ON settlement_journalentry;
DROP TRIGGER IF EXISTS settlement_posting_append_only ON settlement_posting;
DROP FUNCTION IF EXISTS settlement_refuse_change();
DROP TRIGGER IF EXISTS settlement_journalentry_balances ON settlement_journalentry;
DROP TRIGGER IF EXISTS settlement_posting_entry_balances ON settlement_posting;
DROP FUNCTION IF EXISTS settlement_check_entry_balances();
"""


class Migration(migrations.Migration):
    dependencies = [("settlement", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
