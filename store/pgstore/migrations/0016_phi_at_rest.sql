-- PHI at rest: with a key-encryption key configured, the protected columns
-- (patients' and subscribers' names, birth dates, member IDs, addresses,
-- phone numbers, e-mail, the claim documents and the worklist items'
-- details) hold values sealed with AES-256-GCM under a field data key
-- (package keyring, "chf1:" and base64), and the columns looked up by
-- equality have a keyed hash (HMAC-SHA-256) beside them, with its index.
--
-- field_keys holds the field data keys, each wrapped by the operator's
-- key-encryption key (and sealed to the escrow key when one is configured):
-- purpose 'data' seals values (the newest seals, the older ones still open
-- what they sealed), purpose 'index' keys the hashes and is never replaced,
-- so a re-encryption leaves every hash as it was. Not clinic-owned: a
-- wrapped key is useless without the key-encryption key.
CREATE TABLE field_keys (
    id         text PRIMARY KEY,
    purpose    text NOT NULL CHECK (purpose IN ('data', 'index')),
    wrapped    bytea NOT NULL,
    created_at timestamptz NOT NULL
);
-- One index key per database: two processes migrating at once cannot make two.
CREATE UNIQUE INDEX field_keys_one_index ON field_keys (purpose) WHERE purpose = 'index';

-- A birth date sealed is text: the two date columns become text
-- (YYYY-MM-DD when clear, as on SQLite).
ALTER TABLE patients ALTER COLUMN birth_date TYPE text USING to_char(birth_date, 'YYYY-MM-DD');
ALTER TABLE coverages ALTER COLUMN subscriber_birth TYPE text USING to_char(subscriber_birth, 'YYYY-MM-DD');

ALTER TABLE patients ADD COLUMN birth_date_hash text;
ALTER TABLE patients ADD COLUMN last_name_hash text;
ALTER TABLE coverages ADD COLUMN member_id_hash text;
CREATE INDEX patients_birth_hash ON patients (clinic_id, birth_date_hash) WHERE birth_date_hash IS NOT NULL;
CREATE INDEX patients_last_name_hash ON patients (clinic_id, last_name_hash) WHERE last_name_hash IS NOT NULL;
CREATE INDEX coverages_member_hash ON coverages (clinic_id, member_id_hash) WHERE member_id_hash IS NOT NULL;
