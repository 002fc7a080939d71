-- A claim's document moves to a table of its own: the claims row is
-- rewritten at every status move (about five times a night), the document
-- only when the claim is edited. Claim IDs are unique across clinics, so
-- the claim's ID is the row's key (a rowid table: documents are too large
-- for a WITHOUT ROWID one).
CREATE TABLE claim_documents (
    claim_id  INTEGER PRIMARY KEY,
    clinic_id INTEGER NOT NULL,
    document  TEXT NOT NULL,
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id)
);
INSERT INTO claim_documents (claim_id, clinic_id, document) SELECT id, clinic_id, document FROM claims;
ALTER TABLE claims DROP COLUMN document;
