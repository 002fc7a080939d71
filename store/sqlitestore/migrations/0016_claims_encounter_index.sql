-- A claim's encounter: the claims of the next payer are looked up by the
-- encounters a remittance's claims billed, a chunk at a time.
CREATE INDEX claims_encounter ON claims (clinic_id, encounter_id);
