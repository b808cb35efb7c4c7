-- How far each usage-log file has been read (hub/usage_files.py): a file that grows by appends
-- loads only its new lines; a copy of a file already read (same content digest) is not loaded
-- again; an unreadable file is recorded with its reason and read again only when it changes.
CREATE TABLE IF NOT EXISTS {{raw}}usage_file_state (
    path TEXT PRIMARY KEY,
    size_bytes BIGINT NOT NULL,
    mtime DOUBLE PRECISION NOT NULL,
    bytes_read BIGINT NOT NULL,
    lines_read INTEGER NOT NULL,
    prefix_digest TEXT NOT NULL,
    content_digest TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    lines_in INTEGER NOT NULL DEFAULT 0,
    lines_loaded INTEGER NOT NULL DEFAULT 0,
    lines_quarantined INTEGER NOT NULL DEFAULT 0,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_file_state_content ON {{raw}}usage_file_state (content_digest);
