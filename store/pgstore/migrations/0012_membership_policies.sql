-- The tables added beside users and memberships (FHIR imports, patient
-- payments, reminders, prediction models) get the same row-level security
-- as the others: the clinic the transaction names, and only when the
-- connection's login belongs to it (clearhouse_clinic_allowed, migration 8).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['fhir_imports', 'patient_payments', 'payment_allocations', 'payment_plans', 'bank_deposits',
        'reminder_outbox', 'reminder_preferences', 'prediction_models']
    LOOP
        EXECUTE format('DROP POLICY clinic_isolation ON %I', t);
        EXECUTE format('CREATE POLICY clinic_isolation ON %I USING (clinic_id = clearhouse_clinic_id() AND (SELECT clearhouse_clinic_allowed())) '
            'WITH CHECK (clinic_id = clearhouse_clinic_id() AND (SELECT clearhouse_clinic_allowed()))', t);
    END LOOP;
END
$$;
