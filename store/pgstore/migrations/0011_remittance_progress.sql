-- How far posting a remittance got: an 835 transaction set is posted a
-- chunk of claim payments per transaction, and each chunk records the
-- segment ordinal of the last claim payment (CLP) it handled, so a run cut
-- short resumes after it. posted_at is set once the whole set is posted;
-- remittances recorded before posted them in one transaction.
ALTER TABLE remittances ADD COLUMN posted_through integer NOT NULL DEFAULT 0;
ALTER TABLE remittances ADD COLUMN posted_at timestamptz;
UPDATE remittances SET posted_at = created_at;
