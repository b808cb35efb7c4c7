-- Field names seen per source object, so a field a source adds is noticed and reported in the
-- asset's metadata (it already lands in the raw payload untouched). Written in the same
-- transaction as the page that first carried the field.
CREATE TABLE IF NOT EXISTS {{raw}}source_fields (
    source TEXT NOT NULL,
    source_object TEXT NOT NULL,
    field_name TEXT NOT NULL,
    first_seen_at {{ts}} NOT NULL,
    PRIMARY KEY (source, source_object, field_name)
);
