-- Owners resolved to people (issue 11 item 3, issue 12 item 4): the CRMs' owners land raw
-- (HubSpot's owners API, Salesforce's User), staging.owners puts them and Airtable's "Assigned To"
-- in one shape, analytics.owners is what BI and alert routing read, and analytics.customers
-- carries its owner's name and email. Applied once (recorded by checksum): never edited, only followed.

CREATE TABLE IF NOT EXISTS {{raw}}hubspot_owners (
    source_id TEXT PRIMARY KEY,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    archived BOOLEAN,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}salesforce_users (
    source_id TEXT PRIMARY KEY,
    name TEXT,
    email TEXT,
    is_active BOOLEAN,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

-- One row per owner as a source names it: owner_id is what the source's records carry
-- (HubSpot hubspot_owner_id, Salesforce OwnerId, Airtable's "Assigned To" text).
CREATE TABLE IF NOT EXISTS {{staging}}owners (
    record_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    name TEXT,
    email TEXT,
    active BOOLEAN,
    updated_at {{ts}}
);

-- analytics.owners: an owner per (source, owner_id) with the person it is. person_id is shared
-- by one person's owners across sources (same email, or same name when one has no email);
-- active is NULL when the source does not say (Airtable).
CREATE TABLE IF NOT EXISTS {{analytics}}owners (
    source TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    name TEXT,
    email TEXT,
    active BOOLEAN,
    person_id TEXT NOT NULL,
    person_email TEXT,
    PRIMARY KEY (source, owner_id)
);
CREATE INDEX IF NOT EXISTS owners_person ON {{analytics}}owners (person_id);

ALTER TABLE {{analytics}}customers ADD COLUMN owner_name TEXT;
ALTER TABLE {{analytics}}customers ADD COLUMN owner_email TEXT;
