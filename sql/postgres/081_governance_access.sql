-- PostgreSQL only (docs/governance.md): PII-safe access and an append-only audit log.
--
-- hub_bi_reader reads analytics_masked: one view per analytics table in which personal columns
-- (email, phone, contact_name; contacts' name and title) are masked ('a***@example.com', 'A***',
-- '***36'); the analytics tables holding such columns are not readable by it. hub_pii_reader, for
-- the people allowed to see personal data, reads analytics itself. A table added later gets its
-- masked view from `SELECT analytics_masked.refresh();` (tests/test_governance_access.py fails
-- until it is in its migration).

CREATE SCHEMA IF NOT EXISTS analytics_masked;

CREATE OR REPLACE FUNCTION analytics_masked.is_personal(tbl TEXT, col TEXT) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE AS $f$
    SELECT col ~ '(email|phone|contact_name)' OR (tbl = 'contacts' AND col IN ('name', 'title'))
$f$;

CREATE OR REPLACE FUNCTION analytics_masked.mask(tbl TEXT, col TEXT, value TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $f$
    SELECT CASE
        WHEN value IS NULL OR value = '' THEN value
        WHEN col ~ 'email' AND position('@' IN value) > 0
            THEN left(value, 1) || '***@' || split_part(value, '@', 2)
        WHEN col ~ 'phone' THEN '***' || right(regexp_replace(value, '\D', '', 'g'), 2)
        ELSE left(value, 1) || '***'
    END
$f$;

CREATE OR REPLACE FUNCTION analytics_masked.refresh() RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE
    t RECORD;
    cols TEXT;
    personal BOOLEAN;
BEGIN
    FOR t IN SELECT table_name FROM information_schema.tables
             WHERE table_schema = 'analytics' AND table_type IN ('BASE TABLE', 'VIEW') ORDER BY table_name LOOP
        SELECT string_agg(CASE WHEN analytics_masked.is_personal(t.table_name, c.column_name)
                               THEN format('analytics_masked.mask(%L, %L, %I::text) AS %I', t.table_name,
                                           c.column_name, c.column_name, c.column_name)
                               ELSE format('%I', c.column_name) END, ', ' ORDER BY c.ordinal_position),
               bool_or(analytics_masked.is_personal(t.table_name, c.column_name))
          INTO cols, personal
          FROM information_schema.columns c
         WHERE c.table_schema = 'analytics' AND c.table_name = t.table_name;
        EXECUTE format('DROP VIEW IF EXISTS analytics_masked.%I', t.table_name);
        EXECUTE format('CREATE VIEW analytics_masked.%I AS SELECT %s FROM analytics.%I', t.table_name, cols,
                       t.table_name);
        IF personal AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_bi_reader') THEN
            EXECUTE format('REVOKE ALL ON analytics.%I FROM hub_bi_reader', t.table_name);
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_bi_reader') THEN
        GRANT USAGE ON SCHEMA analytics_masked TO hub_bi_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA analytics_masked TO hub_bi_reader;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_pii_reader') THEN
        GRANT USAGE ON SCHEMA analytics, analytics_masked TO hub_pii_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO hub_pii_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA analytics_masked TO hub_pii_reader;
    END IF;
END
$f$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_pii_reader') THEN
        CREATE ROLE hub_pii_reader NOLOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'customer-hub: not allowed to create role hub_pii_reader; create it by hand (docs/governance.md)';
END
$$;

SELECT analytics_masked.refresh();

-- The audit log is append-only: nobody updates or deletes a row (the owner included), and the
-- readers may only read it.
CREATE OR REPLACE FUNCTION analytics.audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $f$
BEGIN
    RAISE EXCEPTION 'analytics.audit_log is append-only: % refused', TG_OP;
END
$f$;
DROP TRIGGER IF EXISTS audit_log_append_only ON analytics.audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON analytics.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.audit_log_is_append_only();
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_bi_reader') THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON analytics.audit_log FROM hub_bi_reader;
        GRANT SELECT ON analytics.audit_log TO hub_bi_reader;
    END IF;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON analytics.audit_log FROM hub_pii_reader;
END
$$;
