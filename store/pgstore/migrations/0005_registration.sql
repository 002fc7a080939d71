-- Registration: what a practice records about itself, its providers, its
-- payers and its patients without the demo. The clinic keeps its billing
-- profile (address, taxonomy, contact, fee schedule, expected allowed
-- amounts) so serve and charges need no profile file; a provider says
-- whether it renders, bills or both; a payer keeps the clinic's enrollment
-- for claims (837), remittance (835) and eligibility (270); a patient keeps
-- contact and guarantor, and the patient it was merged into.
ALTER TABLE clinics
    ADD COLUMN address_line1 text NOT NULL DEFAULT '',
    ADD COLUMN address_line2 text NOT NULL DEFAULT '',
    ADD COLUMN city          text NOT NULL DEFAULT '',
    ADD COLUMN state         text NOT NULL DEFAULT '',
    ADD COLUMN postal_code   text NOT NULL DEFAULT '',
    ADD COLUMN time_zone     text NOT NULL DEFAULT '',
    ADD COLUMN taxonomy_code text NOT NULL DEFAULT '',
    ADD COLUMN contact_name  text NOT NULL DEFAULT '',
    ADD COLUMN contact_phone text NOT NULL DEFAULT '',
    ADD COLUMN contact_email text NOT NULL DEFAULT '',
    ADD COLUMN profile       text NOT NULL DEFAULT '';

ALTER TABLE providers
    ADD COLUMN role text NOT NULL DEFAULT 'rendering';

ALTER TABLE payers
    ADD COLUMN enrollment_837 text NOT NULL DEFAULT 'none',
    ADD COLUMN enrollment_835 text NOT NULL DEFAULT 'none',
    ADD COLUMN enrollment_270 text NOT NULL DEFAULT 'none';

ALTER TABLE patients
    ADD COLUMN email                  text NOT NULL DEFAULT '',
    ADD COLUMN guarantor_name         text NOT NULL DEFAULT '',
    ADD COLUMN guarantor_relationship text NOT NULL DEFAULT '',
    ADD COLUMN merged_into            bigint;

CREATE INDEX coverages_member ON coverages (clinic_id, member_id);

-- Duplicate detection looks patients up by birth date.
CREATE INDEX patients_birth ON patients (clinic_id, birth_date);
