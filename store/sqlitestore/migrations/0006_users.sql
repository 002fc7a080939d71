-- Users, roles and clinic membership. On SQLite the login is the
-- operating-system user running the command; see README ("Who may do
-- what") for why this is not a multi-user security boundary.
CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    login       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL CHECK (role IN ('front_desk', 'biller', 'billing_manager', 'manager', 'operator', 'admin')),
    all_clinics INTEGER NOT NULL DEFAULT 0,
    disabled_at TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE user_clinics (
    user_id   INTEGER NOT NULL REFERENCES users (id),
    clinic_id INTEGER NOT NULL REFERENCES clinics (id),
    PRIMARY KEY (user_id, clinic_id)
);

CREATE TABLE user_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE INDEX audit_events_entity ON audit_events (clinic_id, entity_type, entity_id);
CREATE INDEX audit_events_actor ON audit_events (clinic_id, actor, at);
