-- A source that fails does not stop the night (README "When a source is down"): its raw tables keep
-- their last good data, and sync_state says since when they are stale and why.
ALTER TABLE {{raw}}sync_state ADD COLUMN last_success_at {{ts}};
ALTER TABLE {{raw}}sync_state ADD COLUMN last_error TEXT;
ALTER TABLE {{raw}}sync_state ADD COLUMN last_error_at {{ts}};
