-- Raw payloads are JSON documents, not JSON strings. Until this version the pipeline bound its
-- payload text through SQLAlchemy's JSONB type, which serialized it a second time: every payload
-- was stored as one string (jsonb_typeof = 'string') and `payload->'properties'` found nothing.
-- The write path now casts the text (hub.warehouse.JsonText); this turns stored strings back into
-- the documents they spell. The text is unchanged, so payload hashes and content digests stay valid.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT table_name FROM information_schema.columns
        WHERE table_schema = 'raw' AND column_name = 'payload' AND data_type = 'jsonb'
    LOOP
        EXECUTE 'UPDATE raw.' || quote_ident(t)
            || ' SET payload = (payload #>> ''{}'')::jsonb WHERE jsonb_typeof(payload) = ''string''';
    END LOOP;
END
$$;
