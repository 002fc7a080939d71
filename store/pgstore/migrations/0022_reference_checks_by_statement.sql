-- References written in bulk on the pipeline's paths are checked once per
-- statement, and references that do not change are not checked at all.
--
-- A row-level foreign key costs an after-trigger event, a query and a
-- FOR KEY SHARE lock on the parent row per inserted row; the lock rewrites
-- the parent tuple's header, so every ledger line, acknowledgment and
-- charge assignment also dirtied the claim it named (and a claim named by
-- two transactions at once took a multixact). Posting 100,000 claim
-- payments ran about 1.4 million such checks. The tables written a chunk at
-- a time (ledger entries, acknowledgments, the claim of a charge) now check
-- by clearhouse_check_refs, one probe per row inside one statement.
--
-- The statement-level update trigger on claims ran its checks (and kept a
-- transition table of whole claim rows) for every status change, though a
-- status change names no new row. Updates are now checked by a row-level
-- trigger that fires only when a reference or the clinic changes; the
-- interchange a claim was sent in, which submission sets a file of claims
-- at a time, is a foreign key again (checked only for rows whose
-- interchange changes).
--
-- As before, the checks rely on parents never being deleted (grants.sql).

-- clearhouse_check_refs: as version 3, and a reference to clinics is by ID
-- alone (clinics have no clinic_id).
CREATE OR REPLACE FUNCTION clearhouse_check_refs() RETURNS trigger
    LANGUAGE plpgsql
    SET enable_seqscan = off
    SET jit = off
    AS $$
DECLARE
    i     integer;
    bad   boolean;
    match text;
BEGIN
    FOR i IN 0 .. TG_NARGS - 1 BY 2 LOOP
        match := CASE WHEN TG_ARGV[i + 1] = 'clinics' THEN 'p.id = n.%1$I' ELSE 'p.clinic_id = n.clinic_id AND p.id = n.%1$I' END;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
            '(SELECT 1 FROM %2$I p WHERE ' || match || ' OFFSET 0))', TG_ARGV[i], TG_ARGV[i + 1])
            INTO bad;
        IF bad THEN
            RAISE foreign_key_violation USING MESSAGE = format('%s.%s names no row of %s in its clinic',
                TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- clearhouse_check_ref_row checks the references of one row (arguments as
-- clearhouse_check_refs'), for row-level triggers whose WHEN clause limits
-- them to rows whose references changed.
CREATE FUNCTION clearhouse_check_ref_row() RETURNS trigger
    LANGUAGE plpgsql
    SET jit = off
    AS $$
DECLARE
    i   integer;
    r   jsonb := to_jsonb(NEW);
    ref bigint;
    ok  boolean;
BEGIN
    FOR i IN 0 .. TG_NARGS - 1 BY 2 LOOP
        ref := (r ->> TG_ARGV[i])::bigint;
        CONTINUE WHEN ref IS NULL;
        IF TG_ARGV[i + 1] = 'clinics' THEN
            EXECUTE 'SELECT EXISTS (SELECT 1 FROM clinics p WHERE p.id = $1)' INTO ok USING ref;
        ELSE
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I p WHERE p.clinic_id = $1 AND p.id = $2)', TG_ARGV[i + 1])
                INTO ok USING (r ->> 'clinic_id')::bigint, ref;
        END IF;
        IF NOT ok THEN
            RAISE foreign_key_violation USING MESSAGE = format('%s.%s names no row of %s in its clinic',
                TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- Claims.
DROP TRIGGER claims_refs_insert ON claims;
DROP TRIGGER claims_refs_update ON claims;
CREATE TRIGGER claims_refs_insert AFTER INSERT ON claims REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clearhouse_check_refs('payer_id', 'payers', 'patient_id', 'patients',
        'encounter_id', 'encounters', 'original_claim_id', 'claims');
CREATE TRIGGER claims_refs_update AFTER UPDATE OF clinic_id, payer_id, patient_id, encounter_id, original_claim_id ON claims
    FOR EACH ROW
    WHEN (OLD.clinic_id IS DISTINCT FROM NEW.clinic_id OR OLD.payer_id IS DISTINCT FROM NEW.payer_id
        OR OLD.patient_id IS DISTINCT FROM NEW.patient_id OR OLD.encounter_id IS DISTINCT FROM NEW.encounter_id
        OR OLD.original_claim_id IS DISTINCT FROM NEW.original_claim_id)
    EXECUTE FUNCTION clearhouse_check_ref_row('payer_id', 'payers', 'patient_id', 'patients',
        'encounter_id', 'encounters', 'original_claim_id', 'claims');
ALTER TABLE claims ADD CONSTRAINT claims_interchange_fkey
    FOREIGN KEY (clinic_id, interchange_id) REFERENCES interchanges (clinic_id, id);

-- Ledger entries.
ALTER TABLE ledger_entries
    DROP CONSTRAINT ledger_entries_clinic_id_transaction_id_fkey,
    DROP CONSTRAINT ledger_entries_clinic_id_claim_id_fkey,
    DROP CONSTRAINT ledger_entries_clinic_id_patient_id_fkey,
    DROP CONSTRAINT ledger_entries_clinic_id_remittance_id_fkey;
CREATE TRIGGER ledger_entries_refs_insert AFTER INSERT ON ledger_entries REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clearhouse_check_refs('transaction_id', 'ledger_transactions',
        'claim_id', 'claims', 'patient_id', 'patients', 'remittance_id', 'remittances');
CREATE TRIGGER ledger_entries_refs_update AFTER UPDATE OF clinic_id, transaction_id, claim_id, patient_id, remittance_id
    ON ledger_entries FOR EACH ROW
    WHEN (OLD.clinic_id IS DISTINCT FROM NEW.clinic_id OR OLD.transaction_id IS DISTINCT FROM NEW.transaction_id
        OR OLD.claim_id IS DISTINCT FROM NEW.claim_id OR OLD.patient_id IS DISTINCT FROM NEW.patient_id
        OR OLD.remittance_id IS DISTINCT FROM NEW.remittance_id)
    EXECUTE FUNCTION clearhouse_check_ref_row('transaction_id', 'ledger_transactions',
        'claim_id', 'claims', 'patient_id', 'patients', 'remittance_id', 'remittances');

-- Acknowledgments; applying a 999 or 277CA reads its own back by file.
ALTER TABLE acknowledgments
    DROP CONSTRAINT acknowledgments_clinic_id_fkey,
    DROP CONSTRAINT acknowledgments_clinic_id_inbound_file_id_fkey,
    DROP CONSTRAINT acknowledgments_clinic_id_interchange_id_fkey,
    DROP CONSTRAINT acknowledgments_clinic_id_claim_id_fkey;
CREATE TRIGGER acknowledgments_refs_insert AFTER INSERT ON acknowledgments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clearhouse_check_refs('clinic_id', 'clinics',
        'inbound_file_id', 'inbound_files', 'interchange_id', 'interchanges', 'claim_id', 'claims');
CREATE TRIGGER acknowledgments_refs_update AFTER UPDATE OF clinic_id, inbound_file_id, interchange_id, claim_id
    ON acknowledgments FOR EACH ROW
    WHEN (OLD.clinic_id IS DISTINCT FROM NEW.clinic_id OR OLD.inbound_file_id IS DISTINCT FROM NEW.inbound_file_id
        OR OLD.interchange_id IS DISTINCT FROM NEW.interchange_id OR OLD.claim_id IS DISTINCT FROM NEW.claim_id)
    EXECUTE FUNCTION clearhouse_check_ref_row('clinic_id', 'clinics',
        'inbound_file_id', 'inbound_files', 'interchange_id', 'interchanges', 'claim_id', 'claims');
CREATE INDEX acknowledgments_inbound_file ON acknowledgments (clinic_id, inbound_file_id);

-- The claim of a charge: set by claim building a chunk of charges at a
-- time. Charges are entered one at a time without a claim; the encounter
-- stays a foreign key.
ALTER TABLE charges DROP CONSTRAINT charges_clinic_id_claim_id_fkey;
CREATE TRIGGER charges_claim_insert AFTER INSERT ON charges FOR EACH ROW WHEN (NEW.claim_id IS NOT NULL)
    EXECUTE FUNCTION clearhouse_check_ref_row('claim_id', 'claims');
CREATE TRIGGER charges_claim_update AFTER UPDATE ON charges REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clearhouse_check_refs('claim_id', 'claims');
