-- Patient money: payments, their allocations to claims and refunds, payment
-- plans, and bank deposits reconciled against 835 remittances (see the
-- PostgreSQL migration 0006_patient_payments).
CREATE TABLE patient_payments (
    id                   INTEGER PRIMARY KEY,
    clinic_id            INTEGER NOT NULL REFERENCES clinics (id),
    patient_id           INTEGER NOT NULL,
    amount_cents         INTEGER NOT NULL CHECK (amount_cents > 0),
    method               TEXT NOT NULL,
    status               TEXT NOT NULL,
    reference            TEXT,
    claim_id             INTEGER,
    appointment_id       INTEGER,
    plan_id              INTEGER,
    processor            TEXT NOT NULL DEFAULT '',
    processor_payment_id TEXT NOT NULL DEFAULT '',
    card_brand           TEXT NOT NULL DEFAULT '',
    card_last4           TEXT NOT NULL DEFAULT '',
    memo                 TEXT NOT NULL DEFAULT '',
    received_on          TEXT NOT NULL,
    voided_at            TEXT,
    created_at           TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, reference),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id),
    FOREIGN KEY (clinic_id, plan_id) REFERENCES payment_plans (clinic_id, id)
);
CREATE INDEX patient_payments_patient ON patient_payments (clinic_id, patient_id);

CREATE TABLE payment_allocations (
    id                  INTEGER PRIMARY KEY,
    clinic_id           INTEGER NOT NULL,
    payment_id          INTEGER NOT NULL,
    kind                TEXT NOT NULL,
    claim_id            INTEGER,
    amount_cents        INTEGER NOT NULL,
    processor_refund_id TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    FOREIGN KEY (clinic_id, payment_id) REFERENCES patient_payments (clinic_id, id),
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id)
);
CREATE INDEX payment_allocations_payment ON payment_allocations (clinic_id, payment_id);

CREATE TABLE payment_plans (
    id                   INTEGER PRIMARY KEY,
    clinic_id            INTEGER NOT NULL REFERENCES clinics (id),
    patient_id           INTEGER NOT NULL,
    total_cents          INTEGER NOT NULL,
    instalment_cents     INTEGER NOT NULL,
    remaining_cents      INTEGER NOT NULL,
    interval_days        INTEGER NOT NULL,
    next_due_on          TEXT NOT NULL,
    status               TEXT NOT NULL,
    processor            TEXT NOT NULL DEFAULT '',
    payment_method_token TEXT NOT NULL DEFAULT '',
    customer_token       TEXT NOT NULL DEFAULT '',
    failed_attempts      INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);
CREATE INDEX payment_plans_due ON payment_plans (clinic_id, status, next_due_on);

CREATE TABLE bank_deposits (
    id             INTEGER PRIMARY KEY,
    clinic_id      INTEGER NOT NULL REFERENCES clinics (id),
    deposited_on   TEXT NOT NULL,
    amount_cents   INTEGER NOT NULL,
    trace_number   TEXT NOT NULL DEFAULT '',
    bank_reference TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    source_file    TEXT NOT NULL DEFAULT '',
    remittance_id  INTEGER,
    matched_at     TEXT,
    created_at     TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, bank_reference),
    FOREIGN KEY (clinic_id, remittance_id) REFERENCES remittances (clinic_id, id)
);
