-- cuocthi schema, SQLite. Instants are INTEGER milliseconds since the Unix epoch (UTC), so the same
-- SQL and the same Rust types serve both backends. Keep in step with ../postgres/0001_init.sql.

CREATE TABLE app_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE contests (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    organiser  TEXT NOT NULL,
    summary    TEXT NOT NULL,
    audience   TEXT NOT NULL,
    rules      TEXT NOT NULL,
    settings   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE rounds (
    id               INTEGER PRIMARY KEY,
    contest_id       INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    name             TEXT NOT NULL,
    opens_at         INTEGER NOT NULL,
    closes_at        INTEGER NOT NULL,
    rules            TEXT NOT NULL,
    real_figure      INTEGER,
    figure_frozen_at INTEGER,
    UNIQUE (contest_id, number)
);

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_code TEXT,
    headcount   INTEGER,
    position    INTEGER NOT NULL,
    UNIQUE (contest_id, code)
);

CREATE TABLE registered (
    contest_id INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    person_key TEXT NOT NULL,
    unit_code  TEXT NOT NULL,
    name       TEXT,
    PRIMARY KEY (contest_id, person_key)
);

CREATE TABLE questions (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    lineage     INTEGER,
    version     INTEGER NOT NULL,
    topic       TEXT NOT NULL,
    stem        TEXT NOT NULL,
    options     TEXT NOT NULL,
    correct     INTEGER NOT NULL,
    explanation TEXT,
    fingerprint TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX questions_bank ON questions (contest_id, status);

CREATE TABLE participants (
    id              INTEGER PRIMARY KEY,
    contest_id      INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    person_key      TEXT NOT NULL,
    full_name       TEXT,
    date_of_birth   TEXT,
    cccd            TEXT,
    phone           TEXT,
    email           TEXT,
    unit_code       TEXT,
    locality_code   TEXT,
    group_code      TEXT,
    complete        INTEGER NOT NULL,
    consent_version TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (contest_id, person_key)
);

CREATE TABLE attempts (
    id             INTEGER PRIMARY KEY,
    round_id       INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    seed           INTEGER NOT NULL,
    draw           TEXT NOT NULL,
    questions      INTEGER NOT NULL,
    answers        TEXT NOT NULL,
    prediction     INTEGER,
    status         TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    deadline_at    INTEGER NOT NULL,
    submitted_at   INTEGER,
    auto_submitted INTEGER NOT NULL DEFAULT 0,
    correct        INTEGER,
    time_taken_ms  INTEGER,
    UNIQUE (round_id, participant_id, seq)
);
-- One open attempt per person and round, whatever the number of app nodes.
CREATE UNIQUE INDEX attempts_one_open ON attempts (round_id, participant_id) WHERE status = 'open';
CREATE INDEX attempts_due ON attempts (deadline_at) WHERE status = 'open';
CREATE INDEX attempts_person ON attempts (participant_id);
CREATE INDEX attempts_round ON attempts (round_id, status);

CREATE TABLE published_rankings (
    id           INTEGER PRIMARY KEY,
    contest_id   INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    round_id     INTEGER REFERENCES rounds(id) ON DELETE CASCADE,
    published_at INTEGER NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX published_rankings_scope ON published_rankings (contest_id, round_id);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
