-- Review and approval of results: where attempts came from (keyed tags, never raw addresses),
-- disqualifications, and ranking versions approved by the committee with every row kept for
-- participants' own look-up. Keep in step with ../postgres.
ALTER TABLE attempts ADD COLUMN client_tag TEXT;
ALTER TABLE attempts ADD COLUMN device_tag TEXT;

-- A published ranking row is now a version: approved (locked) at published_at, public from public_at.
ALTER TABLE published_rankings ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE published_rankings ADD COLUMN reason TEXT;
ALTER TABLE published_rankings ADD COLUMN approved_by TEXT;
ALTER TABLE published_rankings ADD COLUMN public_at INTEGER;
UPDATE published_rankings SET public_at = published_at;

CREATE TABLE ranking_standings (
    ranking_id     INTEGER NOT NULL REFERENCES published_rankings(id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL,
    place          INTEGER NOT NULL,
    correct        INTEGER NOT NULL,
    time_taken_ms  INTEGER NOT NULL,
    distance       INTEGER,
    prize          TEXT,
    PRIMARY KEY (ranking_id, participant_id)
);

CREATE TABLE disqualifications (
    id             INTEGER PRIMARY KEY,
    contest_id     INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    -- NULL: the person, in every round; otherwise that attempt only.
    attempt_id     INTEGER REFERENCES attempts(id) ON DELETE CASCADE,
    reason         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    lifted_at      INTEGER,
    lifted_by      TEXT,
    lift_reason    TEXT
);
CREATE INDEX disqualifications_contest ON disqualifications (contest_id);

-- Submissions sealed into the audit chain: the audit entry whose digest covers the attempt.
ALTER TABLE attempts ADD COLUMN sealed_in INTEGER;
CREATE INDEX attempts_unsealed ON attempts (id) WHERE sealed_in IS NULL AND status = 'submitted';
CREATE INDEX attempts_sealed_in ON attempts (sealed_in);
