-- Job requests: commands write a request of their clinic; serve turns
-- pending requests into River jobs and marks them taken with the job's ID
-- (the same path as on PostgreSQL, where people hold no privilege on
-- River's tables).
CREATE TABLE job_requests (
    id           INTEGER PRIMARY KEY,
    clinic_id    INTEGER NOT NULL REFERENCES clinics (id),
    kind         TEXT NOT NULL,
    args         TEXT NOT NULL DEFAULT '{}',
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    scheduled_at TEXT,
    state        TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'taken', 'refused', 'completed', 'cancelled', 'discarded')),
    job_id       INTEGER,
    taken_at     TEXT,
    finished_at  TEXT,
    error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_requests_open ON job_requests (state, id) WHERE state IN ('pending', 'taken');
CREATE INDEX job_requests_clinic ON job_requests (clinic_id, id);
