-- Claims of a status and payer in ID order: a submission takes the ready
-- claims of a payer a file at a time (ORDER BY id LIMIT n), read from the
-- index in order instead of sorting every ready claim of the payer.
CREATE INDEX claims_status_order ON claims (clinic_id, status, payer_id, id);
DROP INDEX claims_status;
