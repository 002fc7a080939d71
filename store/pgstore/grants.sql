-- Privileges of the application role, applied after every migration run so
-- that tables River or the store added are covered. The role may read and
-- write every table (row-level security narrows it to one clinic), may only
-- append to the audit log, may not delete rows that others reference, and
-- may not touch the migration records.
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO clearhouse_app', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO clearhouse_app', current_schema());
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO clearhouse_app', current_schema());
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'clearhouse_app', 'MEMBER') THEN
        EXECUTE format('GRANT clearhouse_app TO %I', current_user);
    END IF;
END
$$;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM clearhouse_app;
-- Rows others point at are never deleted (clearhouse_check_refs relies on it).
REVOKE DELETE, TRUNCATE ON clinics, payers, patients, providers, coverages, appointments, encounters, interchanges,
    claims, claim_documents, inbound_files, remittances, claim_payments, ledger_transactions FROM clearhouse_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON clearhouse_migration FROM clearhouse_app;
REVOKE DELETE, TRUNCATE ON payer_usage FROM clearhouse_app;

-- The users tables: the application role does not touch them (a login reads
-- its own row through clearhouse_whoami()); admins manage them with their
-- own login; operators read them, for serve's bearer-token look-ups.
REVOKE ALL ON users, user_clinics, user_tokens FROM clearhouse_app;

-- The group roles named for Clearhouse's roles. A person's login is a
-- member of exactly one (clearhouse users add/grant manages it); what it
-- holds here is the most that person can do with hand-written SQL, and
-- row-level security still limits every clinic-owned row to the clinics the
-- person belongs to. Admins and operators (serve's account) work every
-- table through the application role; the others hold table privileges of
-- their own and never the River tables.
DO $$
DECLARE
    s      text := current_schema();
    all_t  text[] := ARRAY['clinics', 'providers', 'payers', 'patients', 'coverages', 'appointments',
        'encounters', 'interchanges', 'claims', 'claim_documents', 'claim_status_history', 'charges', 'control_numbers',
        'inbound_files', 'acknowledgments', 'remittances', 'claim_payments', 'claim_adjustments',
        'ledger_transactions', 'ledger_entries', 'worklist_items', 'fhir_imports', 'patient_payments',
        'payment_allocations', 'payment_plans', 'bank_deposits', 'reminder_outbox', 'reminder_preferences',
        'prediction_models'];
    -- what the front desk works: registration, scheduling and the visit
    desk_w text[] := ARRAY['patients', 'coverages', 'appointments', 'encounters', 'ledger_transactions', 'ledger_entries', 'patient_payments',
        'payment_allocations', 'payment_plans', 'reminder_outbox', 'reminder_preferences'];
    -- what the front desk may not read at all: the payer side of billing
    desk_x text[] := ARRAY['interchanges', 'inbound_files', 'acknowledgments', 'remittances', 'claim_payments',
        'claim_adjustments', 'worklist_items', 'control_numbers', 'bank_deposits'];
    t      text;
    r      text;
BEGIN
    EXECUTE 'GRANT clearhouse_app TO clearhouse_admin, clearhouse_operator';
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON users, user_clinics, user_tokens TO clearhouse_admin';
    EXECUTE 'GRANT SELECT ON users, user_clinics, user_tokens TO clearhouse_operator';
    FOREACH r IN ARRAY ARRAY['clearhouse_front_desk', 'clearhouse_biller', 'clearhouse_billing_manager', 'clearhouse_manager']
    LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, r);
        EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, r);
        -- Every role's reads are audited, so every role appends to the log.
        EXECUTE format('GRANT INSERT ON audit_events TO %I', r);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON audit_heads TO %I', r);
        FOREACH t IN ARRAY all_t
        LOOP
            IF r = 'clearhouse_front_desk' AND t = ANY (desk_x) THEN
                CONTINUE;
            END IF;
            EXECUTE format('GRANT SELECT ON %I TO %I', t, r);
            IF r IN ('clearhouse_biller', 'clearhouse_billing_manager')
               OR (r = 'clearhouse_front_desk' AND t = ANY (desk_w)) THEN
                EXECUTE format('GRANT INSERT, UPDATE ON %I TO %I', t, r);
            END IF;
        END LOOP;
    END LOOP;
    EXECUTE 'GRANT SELECT ON audit_events TO clearhouse_billing_manager';
    -- ISA15 cutover is an operator's (through the application role): the
    -- other roles read the usage a clinic's files carry, and never change it.
    FOREACH r IN ARRAY ARRAY['clearhouse_front_desk', 'clearhouse_biller', 'clearhouse_billing_manager', 'clearhouse_manager']
    LOOP
        EXECUTE format('GRANT SELECT ON payer_usage TO %I', r);
    END LOOP;
END
$$;

-- Job requests (migration 17): people write the requests of their clinics
-- in their own name and read them (a manager, who writes nothing, only
-- reads them); serve, a member of the application role, marks them taken.
-- Nobody deletes one.
GRANT SELECT, INSERT ON job_requests TO clearhouse_front_desk, clearhouse_biller, clearhouse_billing_manager;
GRANT SELECT ON job_requests TO clearhouse_manager;
REVOKE DELETE, TRUNCATE ON job_requests FROM clearhouse_app;

-- The field data keys (wrapped; useless without the key-encryption key):
-- every role that reads the protected columns reads them; only the
-- application role (migrate, keys rotate) adds and rewraps them.
REVOKE DELETE, TRUNCATE ON field_keys FROM clearhouse_app;
GRANT SELECT ON field_keys TO clearhouse_front_desk, clearhouse_biller, clearhouse_billing_manager, clearhouse_manager;
