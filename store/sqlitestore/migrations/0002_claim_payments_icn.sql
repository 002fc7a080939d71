-- Claim payments by the payer's claim control number (CLP07): posting an
-- 835 looks for an earlier payment of the same payer claim (a payment resent
-- under another trace number is held as a suspected duplicate), a chunk of
-- claim payments at a time.
CREATE INDEX claim_payments_icn ON claim_payments (clinic_id, payer_claim_control_number)
    WHERE payer_claim_control_number <> '';
