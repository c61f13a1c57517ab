-- The organisers' console: staff accounts with a second factor, per-contest grants, server-side
-- staff sessions, login throttling and the hash-chained audit log. Keep in step with ../postgres.

ALTER TABLE accounts ADD COLUMN full_name TEXT NOT NULL DEFAULT '';
-- Base32 TOTP secret once confirmed; the pending one while the account sets it up.
ALTER TABLE accounts ADD COLUMN totp_secret TEXT;
ALTER TABLE accounts ADD COLUMN totp_pending TEXT;
-- The last TOTP time step accepted: a code is never accepted twice.
ALTER TABLE accounts ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

-- A role on one contest (organiser, judge, secretariat, unit coordinator for one unit, viewer).
CREATE TABLE grants (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    contest_id INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    unit_code  TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, contest_id, role, unit_code)
);
CREATE INDEX grants_contest ON grants (contest_id);

-- Only the SHA-256 of a session id is stored: a copy of the database opens no session.
CREATE TABLE staff_sessions (
    token_hash    TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX staff_sessions_account ON staff_sessions (account_id);

-- Failed sign-ins per (account, address) and per address: guessing slows down, the real user
-- signing in from elsewhere does not.
CREATE TABLE login_throttle (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Append-only; each row's hash covers the previous row's hash and the row itself.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    account_id INTEGER,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    contest_id INTEGER,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_log_contest ON audit_log (contest_id, id);

-- An uploaded file waiting for the organiser to confirm its import after reading the report.
CREATE TABLE staged_files (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    contest_id INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    body       BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
