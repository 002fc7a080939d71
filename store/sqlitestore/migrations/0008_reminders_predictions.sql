-- Reminder delivery and prediction models (see the PostgreSQL migration
-- 0006_reminders_predictions for the why of each table).
CREATE TABLE reminder_outbox (
    id              INTEGER PRIMARY KEY,
    clinic_id       INTEGER NOT NULL REFERENCES clinics (id),
    appointment_id  INTEGER NOT NULL,
    patient_id      INTEGER NOT NULL,
    purpose         TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL,
    starts_at       TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    status          TEXT NOT NULL,
    channel         TEXT NOT NULL DEFAULT '',
    risk            REAL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL DEFAULT '',
    sent_at         TEXT,
    confirmed_at    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, dedupe_key),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);
CREATE INDEX reminder_outbox_appointment ON reminder_outbox (clinic_id, appointment_id);
CREATE INDEX reminder_outbox_due ON reminder_outbox (clinic_id, status, due_at);

CREATE TABLE reminder_preferences (
    clinic_id   INTEGER NOT NULL REFERENCES clinics (id),
    patient_id  INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    opted_out   INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (clinic_id, patient_id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);

CREATE TABLE prediction_models (
    id           INTEGER PRIMARY KEY,
    clinic_id    INTEGER NOT NULL REFERENCES clinics (id),
    kind         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    trained_at   TEXT NOT NULL,
    params       TEXT NOT NULL,
    evaluation   TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, kind, version)
);

ALTER TABLE appointments ADD COLUMN booked_at TEXT;
