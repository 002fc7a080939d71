-- A claim's document moves to a table of its own. The claims row is
-- rewritten at every status move (about five times a night), and with the
-- document inline each rewrite copied 1.6 KB of row into the heap and the
-- write-ahead log (below PostgreSQL's 2 KB toast threshold, the document
-- was never stored apart); the claims table of a 100,000-claim night did
-- not fit in a default 128 MB buffer cache. The document is written when
-- the claim is built and changed only when the claim is edited.
CREATE TABLE claim_documents (
    clinic_id bigint NOT NULL,
    claim_id  bigint NOT NULL,
    document  jsonb NOT NULL,
    PRIMARY KEY (clinic_id, claim_id)
);
ALTER TABLE claim_documents ALTER COLUMN document SET STATISTICS 0;

-- The owner copies every clinic's documents: row-level security, forced on
-- claims, would show it none while no clinic is set. The copy is checked
-- before the column goes.
ALTER TABLE claims NO FORCE ROW LEVEL SECURITY;
INSERT INTO claim_documents (clinic_id, claim_id, document) SELECT clinic_id, id, document FROM claims;
DO $$
DECLARE
    copied bigint := (SELECT count(*) FROM claim_documents);
    total  bigint := (SELECT count(*) FROM claims);
BEGIN
    IF copied <> total THEN
        RAISE EXCEPTION 'claim documents: % of % claims copied', copied, total;
    END IF;
END
$$;
ALTER TABLE claims FORCE ROW LEVEL SECURITY;
ALTER TABLE claims DROP COLUMN document;

CREATE TRIGGER claim_documents_refs_insert AFTER INSERT ON claim_documents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clearhouse_check_refs('claim_id', 'claims');
CREATE TRIGGER claim_documents_refs_update AFTER UPDATE OF clinic_id, claim_id ON claim_documents FOR EACH ROW
    WHEN (OLD.clinic_id IS DISTINCT FROM NEW.clinic_id OR OLD.claim_id IS DISTINCT FROM NEW.claim_id)
    EXECUTE FUNCTION clearhouse_check_ref_row('claim_id', 'claims');

ALTER TABLE claim_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE claim_documents FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON claim_documents
    USING (clinic_id = clearhouse_clinic_id() AND (SELECT clearhouse_clinic_allowed()))
    WITH CHECK (clinic_id = clearhouse_clinic_id() AND (SELECT clearhouse_clinic_allowed()));
