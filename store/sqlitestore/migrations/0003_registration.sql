-- Registration: what a practice records about itself, its providers, its
-- payers and its patients without the demo (see the PostgreSQL migration
-- 0005_registration for the why of each column).
ALTER TABLE clinics ADD COLUMN address_line1 TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN address_line2 TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN postal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN taxonomy_code TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE clinics ADD COLUMN profile TEXT NOT NULL DEFAULT '';

ALTER TABLE providers ADD COLUMN role TEXT NOT NULL DEFAULT 'rendering';

ALTER TABLE payers ADD COLUMN enrollment_837 TEXT NOT NULL DEFAULT 'none';
ALTER TABLE payers ADD COLUMN enrollment_835 TEXT NOT NULL DEFAULT 'none';
ALTER TABLE payers ADD COLUMN enrollment_270 TEXT NOT NULL DEFAULT 'none';

ALTER TABLE patients ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN guarantor_name TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN guarantor_relationship TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN merged_into INTEGER;

CREATE INDEX coverages_member ON coverages (clinic_id, member_id);

-- Duplicate detection looks patients up by birth date.
CREATE INDEX patients_birth ON patients (clinic_id, birth_date);
