-- Live statistics: counters per contest (round_id 0) and round along each dimension, kept up to
-- date by counting each attempt once at its start and once at its submission (see
-- cuocthi_domain::stats). Keep in step with ../postgres.
CREATE TABLE stat_counters (
    contest_id        INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    round_id          INTEGER NOT NULL,
    dim               TEXT NOT NULL,
    bucket            TEXT NOT NULL,
    people            INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0,
    finishers         INTEGER NOT NULL DEFAULT 0,
    completed         INTEGER NOT NULL DEFAULT 0,
    full_scores       INTEGER NOT NULL DEFAULT 0,
    full_score_people INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (contest_id, round_id, dim, bucket)
);

-- 0: not counted; 1: its start counted; 2: its submission counted too.
ALTER TABLE attempts ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX attempts_uncounted ON attempts (id) WHERE counted = 0 OR (counted = 1 AND status = 'submitted');

-- A unit's staff list (danh sách cán bộ), uploaded by its coordinator to see who has not yet
-- taken part; it does not decide who may take part (registered lists do).
CREATE TABLE unit_staff (
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    unit_code   TEXT NOT NULL,
    person_key  TEXT NOT NULL,
    full_name   TEXT,
    uploaded_by TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL,
    PRIMARY KEY (contest_id, unit_code, person_key)
);
