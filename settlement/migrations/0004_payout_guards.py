"""Database guards of payout runs (docs/money.md §6: "an exported batch is immutable").

Once a batch's file has left (states exported, settled, partially_returned) the file, its hash and
identifiers, the totals and every line's amount, merchant and bank details are frozen: only the
state (towards settled / partially returned) and each line's execution or return may still be
recorded. Nothing of an exported batch may be deleted, and no line may be added to it. Like 0002,
the functions live in each town's schema and reach tables through TG_TABLE_SCHEMA.
"""

from django.db import migrations

CREATE = r"""
CREATE FUNCTION settlement_guard_exported_batch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state NOT IN ('exported', 'settled', 'partially_returned') THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'payout batch % is exported: it cannot be deleted', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.state NOT IN ('exported', 'settled', 'partially_returned')
        OR (NEW.period_key, NEW.cut_off, NEW.total_cents, NEW.line_count, NEW.entry_id, NEW.file_xml,
            NEW.file_sha256, NEW.message_id, NEW.payment_info_id, NEW.sepa_version, NEW.execution_date,
            NEW.created_by_id, NEW.approved_by_id, NEW.exported_by_id, NEW.exported_at)
        IS DISTINCT FROM
           (OLD.period_key, OLD.cut_off, OLD.total_cents, OLD.line_count, OLD.entry_id, OLD.file_xml,
            OLD.file_sha256, OLD.message_id, OLD.payment_info_id, OLD.sepa_version, OLD.execution_date,
            OLD.created_by_id, OLD.approved_by_id, OLD.exported_by_id, OLD.exported_at)
    THEN
        RAISE EXCEPTION 'payout batch % is exported: its file, amounts and approvals are immutable', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER payouts_batch_exported_immutable
    BEFORE UPDATE OR DELETE ON settlement_payoutbatch
    FOR EACH ROW EXECUTE FUNCTION settlement_guard_exported_batch();

CREATE FUNCTION settlement_guard_exported_line() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    batch_state text;
    checked_batch bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        checked_batch := NEW.batch_id;
    ELSE
        checked_batch := OLD.batch_id;
    END IF;
    EXECUTE format('SELECT state FROM %I.settlement_payoutbatch WHERE id = $1', TG_TABLE_SCHEMA)
        INTO batch_state USING checked_batch;
    IF batch_state IS NULL OR batch_state NOT IN ('exported', 'settled', 'partially_returned') THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION 'payout batch % is exported: no line can be added', checked_batch
            USING ERRCODE = 'restrict_violation';
    ELSIF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'payout line % belongs to an exported batch: it cannot be deleted', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.batch_id, NEW.merchant_id, NEW.amount_cents, NEW.holder_name, NEW.iban, NEW.bic, NEW.street,
        NEW.building_number, NEW.postcode, NEW.town, NEW.country)
        IS DISTINCT FROM
       (OLD.batch_id, OLD.merchant_id, OLD.amount_cents, OLD.holder_name, OLD.iban, OLD.bic, OLD.street,
        OLD.building_number, OLD.postcode, OLD.town, OLD.country)
    THEN
        RAISE EXCEPTION 'payout line % belongs to an exported batch: its amount and payee are immutable', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER payouts_line_exported_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON settlement_payoutline
    FOR EACH ROW EXECUTE FUNCTION settlement_guard_exported_line();
"""

DROP = """
DROP TRIGGER IF EXISTS payouts_line_exported_immutable ON settlement_payoutline;
DROP FUNCTION IF EXISTS settlement_guard_exported_line();
DROP TRIGGER IF EXISTS payouts_batch_exported_immutable ON settlement_payoutbatch;
DROP FUNCTION IF EXISTS settlement_guard_exported_batch();
"""


class Migration(migrations.Migration):
    dependencies = [("settlement", "0003_payouts")]

    operations = [migrations.RunSQL(CREATE, DROP)]
