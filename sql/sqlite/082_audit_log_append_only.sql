-- SQLite only (docs/governance.md): the audit log is append-only here too. PostgreSQL refuses
-- UPDATE, DELETE and TRUNCATE by trigger (sql/postgres/081_governance_access.sql); these do the
-- same for whoever writes through SQLite. Retention never prunes the audit log, so no path of the
-- hub needs to get past them; the file's owner can still drop the triggers (SQLite has no roles).
DROP TRIGGER IF EXISTS audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON {{analytics}}audit_log
BEGIN
    SELECT RAISE(ABORT, 'analytics.audit_log is append-only: entries are never changed (docs/governance.md)');
END;
DROP TRIGGER IF EXISTS audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON {{analytics}}audit_log
BEGIN
    SELECT RAISE(ABORT, 'analytics.audit_log is append-only: entries are never deleted (docs/governance.md)');
END;
