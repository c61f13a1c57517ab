-- The in-person event (hội thi trực tiếp, issue 14): the units' teams and their members, the parts
-- the secretariat opens and closes, the judges' score sheets (phiếu chấm), the knowledge round's
-- answers, the secretariat's adjustments and the committee's tie lots. The event's rules are in the
-- contest's settings; the ranking is computed from these rows every time. Keep in step with
-- ../postgres.
CREATE TABLE event_teams (
    id                INTEGER PRIMARY KEY,
    contest_id        INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    -- One team per unit of the contest.
    unit_code         TEXT NOT NULL,
    name              TEXT NOT NULL,
    -- The place on stage (1 first), from a lot drawn with a seed written to the audit log.
    performance_order INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (contest_id, unit_code)
);

CREATE TABLE event_members (
    team_id  INTEGER NOT NULL REFERENCES event_teams(id) ON DELETE CASCADE,
    -- The member's place in the team's list (1 first).
    seq      INTEGER NOT NULL,
    name     TEXT NOT NULL,
    -- Chức vụ, đơn vị công tác.
    position TEXT NOT NULL,
    captain  INTEGER NOT NULL,
    PRIMARY KEY (team_id, seq)
);

-- A part judges may score while it is open; no row: closed.
CREATE TABLE event_parts (
    contest_id INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    part_key   TEXT NOT NULL,
    is_open    INTEGER NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (contest_id, part_key)
);

-- One sheet per judge, team and judged part: the unique key makes a sheet sent twice at once one
-- sheet. `submitted` sheets are locked and counted; `reopened` ones wait for the judge's correction.
CREATE TABLE event_sheets (
    id            INTEGER PRIMARY KEY,
    contest_id    INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    judge_id      INTEGER NOT NULL REFERENCES accounts(id),
    team_id       INTEGER NOT NULL REFERENCES event_teams(id) ON DELETE CASCADE,
    part_key      TEXT NOT NULL,
    -- JSON: criterion key → points in hundredths.
    scores        TEXT NOT NULL,
    status        TEXT NOT NULL,
    -- 1: a paper sheet the secretariat typed in on the judge's behalf.
    paper         INTEGER NOT NULL,
    entered_by    TEXT NOT NULL,
    submitted_at  INTEGER NOT NULL,
    reopened_by   TEXT,
    reopened_at   INTEGER,
    reopen_reason TEXT,
    UNIQUE (contest_id, judge_id, team_id, part_key)
);

-- The knowledge round: a team's correct answers in a part, and who entered them.
CREATE TABLE event_answers (
    contest_id INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    team_id    INTEGER NOT NULL REFERENCES event_teams(id) ON DELETE CASCADE,
    part_key   TEXT NOT NULL,
    correct    INTEGER NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, part_key)
);

-- A bonus or penalty (hundredths of a point) with its reason.
CREATE TABLE event_adjustments (
    id         INTEGER PRIMARY KEY,
    contest_id INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    team_id    INTEGER NOT NULL REFERENCES event_teams(id) ON DELETE CASCADE,
    points     INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX event_adjustments_contest ON event_adjustments (contest_id);

-- The committee's lot between teams the rules leave tied (1 first), with the seed it came from.
CREATE TABLE event_tie_lots (
    team_id    INTEGER PRIMARY KEY REFERENCES event_teams(id) ON DELETE CASCADE,
    contest_id INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    lot_order  INTEGER NOT NULL,
    seed       TEXT NOT NULL,
    drawn_by   TEXT NOT NULL,
    drawn_at   INTEGER NOT NULL
);
