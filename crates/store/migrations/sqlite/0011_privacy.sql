-- Personal data (Luật 91/2025/QH15, Nghị định 356/2025): when a person's personal fields were
-- removed (after the retention period, or on their request), and the requests people make about
-- their data (xem, sửa, xóa), which the secretariat answers by a deadline. Keep in step with
-- ../postgres.

-- Set once the person's name, date of birth, CCCD, phone and e-mail are gone and the identity key
-- replaced by a pseudonym (`xoa:<id>`): results and statistics keep the id, unit and locality.
ALTER TABLE participants ADD COLUMN purged_at INTEGER;

CREATE TABLE privacy_requests (
    id             INTEGER PRIMARY KEY,
    contest_id     INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    -- `correction` (sửa) or `erasure` (rút lại đồng ý, xóa).
    kind           TEXT NOT NULL,
    -- A correction: which field, and the value the person says is right (cleared with the
    -- person's other fields when their data is removed).
    field          TEXT,
    new_value      TEXT,
    reason         TEXT NOT NULL,
    -- `open`, `done` or `refused`.
    status         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    decided_at     INTEGER,
    decided_by     TEXT,
    -- What the person is told: why it was refused, or what was done.
    answer         TEXT
);
CREATE INDEX privacy_requests_queue ON privacy_requests (contest_id, status, due_at);
CREATE INDEX privacy_requests_person ON privacy_requests (participant_id);
