-- PHI at rest: sealed protected columns, the field data keys and the keyed
-- hashes of the columns looked up by equality (see the PostgreSQL
-- migration 0016_phi_at_rest for the why of each).
CREATE TABLE field_keys (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL CHECK (purpose IN ('data', 'index')),
    wrapped    BLOB NOT NULL,
    created_at TEXT NOT NULL
);
-- One index key per database: two processes migrating at once cannot make two.
CREATE UNIQUE INDEX field_keys_one_index ON field_keys (purpose) WHERE purpose = 'index';

ALTER TABLE patients ADD COLUMN birth_date_hash TEXT;
ALTER TABLE patients ADD COLUMN last_name_hash TEXT;
ALTER TABLE coverages ADD COLUMN member_id_hash TEXT;
CREATE INDEX patients_birth_hash ON patients (clinic_id, birth_date_hash) WHERE birth_date_hash IS NOT NULL;
CREATE INDEX patients_last_name_hash ON patients (clinic_id, last_name_hash) WHERE last_name_hash IS NOT NULL;
CREATE INDEX coverages_member_hash ON coverages (clinic_id, member_id_hash) WHERE member_id_hash IS NOT NULL;
