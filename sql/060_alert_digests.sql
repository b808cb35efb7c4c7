-- Digests (hub/digest.py): the outbox rows of alerts that one evaluation sent to a channel as one
-- digest message share a digest_id; the drain sends them together and records each row.
-- Applied once (hub.warehouse.migrate records it by checksum): SQLite has no ADD COLUMN IF NOT EXISTS.
ALTER TABLE {{analytics}}alert_deliveries ADD COLUMN digest_id TEXT;
CREATE INDEX IF NOT EXISTS alert_deliveries_digest ON {{analytics}}alert_deliveries (digest_id);
