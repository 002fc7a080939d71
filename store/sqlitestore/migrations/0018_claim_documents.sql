-- A claim's document moves to a table of its own: the claims row is
-- rewritten at every status move (about five times a night), the document
-- only when the claim is edited.
CREATE TABLE claim_documents (
    clinic_id INTEGER NOT NULL,
    claim_id  INTEGER NOT NULL,
    document  TEXT NOT NULL,
    PRIMARY KEY (clinic_id, claim_id),
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id)
) WITHOUT ROWID;
INSERT INTO claim_documents (clinic_id, claim_id, document) SELECT clinic_id, id, document FROM claims;
ALTER TABLE claims DROP COLUMN document;
