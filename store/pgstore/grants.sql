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
    claims, inbound_files, remittances, claim_payments, ledger_transactions FROM clearhouse_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON clearhouse_migration FROM clearhouse_app;
