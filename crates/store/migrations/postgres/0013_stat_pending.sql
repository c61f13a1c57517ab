-- Live statistics (issue 16): what is left to count is a queue of its own instead of a mark on
-- each attempt. A start adds (attempt, 1) and a submission (attempt, 2) in the transaction that
-- writes them; counting reads a batch, adds it to `stat_counters` and deletes those rows in one
-- transaction, so each is counted exactly once. Marking `attempts.counted` rewrote a wide attempt
-- row and every one of its indexes twice per attempt (a third of PostgreSQL's CPU per attempt);
-- a row here is two integers. Keep in step with ../sqlite.
CREATE TABLE stat_pending (
    attempt_id BIGINT NOT NULL,
    kind       BIGINT NOT NULL,
    PRIMARY KEY (attempt_id, kind)
);

-- What the mark said was not counted yet: its start (0), its submission (0 or 1, submitted).
INSERT INTO stat_pending (attempt_id, kind) SELECT id, 1 FROM attempts WHERE counted = 0;
INSERT INTO stat_pending (attempt_id, kind) SELECT id, 2 FROM attempts WHERE counted < 2 AND status = 'submitted';

DROP INDEX attempts_uncounted;
ALTER TABLE attempts DROP COLUMN counted;
