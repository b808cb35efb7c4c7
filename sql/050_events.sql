-- Inbound events (hub/events/, `hub serve-events`). A request is answered 2xx only after its
-- events are committed here, so an accepted event survives the receiver dying. The unique
-- (sender, event_id) pair is the replay seen-set: a sender's retry or a replayed request finds
-- its id taken and adds nothing. `handled_at` is set once the events sensor has turned the
-- event into a run request (or recorded it); `seq` orders them (an IDENTITY on PostgreSQL).
CREATE TABLE IF NOT EXISTS {{raw}}events (
    seq INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    occurred_at {{ts}},
    received_at {{ts}} NOT NULL,
    payload TEXT NOT NULL,
    handled_at {{ts}},
    run_key TEXT,
    UNIQUE (sender, event_id)
);
CREATE INDEX IF NOT EXISTS events_unhandled ON {{raw}}events (handled_at, seq);

-- seed 000 `beta.activated`: when each beta customer activated, and days from onboarding to it
-- (time to first value). The API key is a credential: only its last four characters are kept.
CREATE TABLE IF NOT EXISTS {{analytics}}beta_activations (
    customer_id TEXT PRIMARY KEY,
    onboarding_date {{ts}},
    activated_at {{ts}} NOT NULL,
    time_to_first_value_days DOUBLE PRECISION,
    api_key_hint TEXT,
    event_seq BIGINT NOT NULL
);
