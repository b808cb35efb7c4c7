-- Survivorship records the winning source of every customer field (hub/reconcile/survivorship.py);
-- name, domain, industry and owner had theirs from the start. Applied once (recorded by
-- checksum): SQLite has no ADD COLUMN IF NOT EXISTS, so this file is never edited, only followed.
ALTER TABLE {{analytics}}customers ADD COLUMN city_source TEXT;
ALTER TABLE {{analytics}}customers ADD COLUMN country_source TEXT;
