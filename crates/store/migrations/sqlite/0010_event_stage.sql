-- The in-person event's stage (sân khấu, issue 14): the knowledge round's question sets, each
-- team's set drawn by lot, every answer given on stage, and what the hall's screen shows now.
-- Keep in step with ../postgres.

-- A knowledge part's question sets (bộ câu hỏi), made from the contest's bank with a seed the
-- audit log keeps: set `set_no` (the lot's number, 1 first) holds question `question_id` at
-- place `seq` (1 first).
CREATE TABLE event_question_sets (
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    part_key    TEXT NOT NULL,
    set_no      INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    question_id INTEGER NOT NULL REFERENCES questions(id),
    seed        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (contest_id, part_key, set_no, seq)
);

-- The set a team drew (bốc thăm) in a knowledge part: one lot per team and part, and no set
-- drawn twice; the seed decides which of the sets left it got.
CREATE TABLE event_set_lots (
    contest_id INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    part_key   TEXT NOT NULL,
    team_id    INTEGER NOT NULL REFERENCES event_teams(id) ON DELETE CASCADE,
    set_no     INTEGER NOT NULL,
    seed       TEXT NOT NULL,
    drawn_by   TEXT NOT NULL,
    drawn_at   INTEGER NOT NULL,
    PRIMARY KEY (team_id, part_key),
    UNIQUE (contest_id, part_key, set_no)
);

-- A team's answer to one question of its set: the option it chose (original index) when its
-- tablet answered, or none when the MC marked its spoken answer; whether it is correct; who
-- entered it, when, and how ('mc' or 'tablet').
CREATE TABLE event_stage_answers (
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    team_id     INTEGER NOT NULL REFERENCES event_teams(id) ON DELETE CASCADE,
    part_key    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    question_id INTEGER NOT NULL REFERENCES questions(id),
    chosen      INTEGER,
    correct     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    entered_by  TEXT NOT NULL,
    entered_at  INTEGER NOT NULL,
    PRIMARY KEY (team_id, part_key, seq)
);

-- What the stage shows now, one row per contest. `version` grows with every change, so that
-- every app node notices a change made on another by reading it.
CREATE TABLE event_stage (
    contest_id   INTEGER PRIMARY KEY REFERENCES contests(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    -- idle, team, lot, question, answered, revealed, scoreboard
    step         TEXT NOT NULL,
    team_id      INTEGER REFERENCES event_teams(id) ON DELETE SET NULL,
    part_key     TEXT,
    -- The question of the team's set on screen (1 first).
    question_seq INTEGER,
    deadline_at  INTEGER,
    revealed     INTEGER NOT NULL,
    -- Who enters the knowledge round's answers: 'mc' (the MC marks) or 'tablet' (the team).
    answering    TEXT NOT NULL,
    -- The SHA-256 (hex) of the key in the team tablet's address.
    tablet_key   TEXT NOT NULL,
    frozen       INTEGER NOT NULL,
    frozen_at    INTEGER,
    -- JSON: the public standings at the freeze instant.
    frozen_board TEXT,
    updated_by   TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);
