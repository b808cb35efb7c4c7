-- Playbook actions (issue 12, docs/playbooks.md): the ledger that makes each action happen once.
-- One row per action: a playbook step for one alert and one target (a CRM record, the alert
-- channels, a contact's mailbox), or a write-back of a customer's health onto one CRM record.
-- action_id is stable (playbook, step, alert, target; for a write-back the target and values), so
-- a re-run finds its row instead of acting again. Written only by analytics/actions.
CREATE TABLE IF NOT EXISTS {{analytics}}actions (
    action_id TEXT PRIMARY KEY,
    playbook TEXT NOT NULL,
    step INTEGER NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    alert_id TEXT,
    rule TEXT,
    entity_type TEXT,
    entity_id TEXT,
    customer_id TEXT,
    request TEXT,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    external_id TEXT,
    result TEXT,
    planned_at {{ts}} NOT NULL,
    claimed_at {{ts}},
    finished_at {{ts}}
);
CREATE INDEX IF NOT EXISTS actions_status ON {{analytics}}actions (status);
CREATE INDEX IF NOT EXISTS actions_alert ON {{analytics}}actions (alert_id);
