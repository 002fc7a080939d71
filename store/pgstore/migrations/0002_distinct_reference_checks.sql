-- Reference checks probe each distinct referenced row once per statement.
-- A bulk load of 100,000 claims names a handful of payers and patients; the
-- check of version 1 scanned the transition table once per reference column
-- and probed the parent's primary key once per row and column. It now reads
-- the transition table once, unpivots the reference columns, keeps the
-- distinct (clinic, column, ID) triples and probes each of them once. Only
-- when a reference is missing does it look column by column for the
-- message, which is unchanged. The checks still run as the caller, under
-- row-level security, and still require the referenced row to belong to the
-- new row's clinic.
CREATE OR REPLACE FUNCTION clearhouse_check_refs() RETURNS trigger
    LANGUAGE plpgsql
    SET enable_seqscan = off
    SET jit = off
    AS $$
DECLARE
    i     integer;
    refs  text := '';
    tests text := '';
    bad   boolean;
BEGIN
    FOR i IN 0 .. TG_NARGS - 1 BY 2 LOOP
        refs := refs || CASE WHEN i > 0 THEN ', ' ELSE '' END || format('(%s, n.%I)', i / 2, TG_ARGV[i]);
        tests := tests || format(' WHEN %s THEN EXISTS (SELECT 1 FROM %I p WHERE p.clinic_id = d.clinic_id AND p.id = d.ref OFFSET 0)',
            i / 2, TG_ARGV[i + 1]);
    END LOOP;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT n.clinic_id, v.k, v.ref FROM new_rows n CROSS JOIN LATERAL (VALUES '
        || refs || ') v(k, ref) WHERE v.ref IS NOT NULL) d WHERE NOT CASE d.k' || tests || ' END)'
        INTO bad;
    IF NOT bad THEN
        RETURN NULL;
    END IF;
    FOR i IN 0 .. TG_NARGS - 1 BY 2 LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
            '(SELECT 1 FROM %2$I p WHERE p.clinic_id = n.clinic_id AND p.id = n.%1$I OFFSET 0))', TG_ARGV[i], TG_ARGV[i + 1])
            INTO bad;
        IF bad THEN
            RAISE foreign_key_violation USING MESSAGE = format('%s.%s names no row of %s in its clinic',
                TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]);
        END IF;
    END LOOP;
    RAISE foreign_key_violation USING MESSAGE = format('%s names a row of another clinic or none', TG_TABLE_NAME);
END
$$;
