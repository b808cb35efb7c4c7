-- PostgreSQL only: a read-only role for BI tools. Grant it to a login role of your own
-- (GRANT hub_bi_reader TO metabase;). Skipped with a notice where we may not create roles.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_bi_reader') THEN
        CREATE ROLE hub_bi_reader NOLOGIN;
    END IF;
    GRANT USAGE ON SCHEMA analytics TO hub_bi_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO hub_bi_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO hub_bi_reader;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'customer-hub: not allowed to create role hub_bi_reader; create it by hand (see README)';
END
$$;
