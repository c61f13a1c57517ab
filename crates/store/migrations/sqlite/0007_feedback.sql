-- Feedback on questions (phản ánh về nội dung câu hỏi): a participant's report on one question of
-- one of their attempts, answered and closed by the secretariat; and questions voided by the
-- committee (hủy câu hỏi), which every score is then derived with. Keep in step with ../postgres.
CREATE TABLE question_reports (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    -- The person is the attempt's (a merge of two people moves their attempts, and so their reports).
    attempt_id  INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    -- The question's place in the attempt (0-based), as the person saw it.
    position    INTEGER NOT NULL,
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    reply       TEXT,
    replied_by  TEXT,
    replied_at  INTEGER,
    closed_by   TEXT,
    closed_at   INTEGER,
    -- One report per question and attempt.
    UNIQUE (attempt_id, question_id)
);
CREATE INDEX question_reports_contest ON question_reports (contest_id, id);

-- A question version voided by the committee: `award` (everyone asked it gets the point) or `drop`
-- (not scored). `audit_id` is the chained audit entry written in the same transaction, which
-- `results verify` checks each void against.
CREATE TABLE question_voids (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL UNIQUE REFERENCES questions(id) ON DELETE CASCADE,
    mode        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    report_id   INTEGER,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    audit_id    INTEGER NOT NULL
);
CREATE INDEX question_voids_contest ON question_voids (contest_id);

-- The score a submission's seal covered, kept when a void re-scores an attempt already sealed: the
-- seal stays checkable, and the new score is checked against the answers and the voids instead.
ALTER TABLE attempts ADD COLUMN sealed_correct INTEGER;
