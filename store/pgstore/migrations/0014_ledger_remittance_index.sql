-- Ledger entries by remittance: after an 835 posts, the balances of the
-- claims and patients its remittances touched are checked for credits
-- (claims with ledger entries of those remittances), one query per file.
CREATE INDEX ledger_entries_remittance ON ledger_entries (clinic_id, remittance_id);
