-- The ranking reads every submitted attempt of a round: a covering index lets it scan this narrow
-- index instead of the wide attempt rows (which carry the draw). Keep in step with ../postgres.
CREATE INDEX attempts_ranking ON attempts (round_id, status, id, participant_id, correct, questions, prediction, time_taken_ms, submitted_at);
