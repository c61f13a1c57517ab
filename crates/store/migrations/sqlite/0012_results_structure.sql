-- What a ranking version is of (issue 14, issue 17): 'ranking' for a round's or the overall
-- ranking (round_id says which), 'event' for the in-person event's team ranking and team prizes,
-- approved, locked and published like the online rounds (round_id NULL). The collective prize
-- structure a committee applied, and its reason, live in the version's body. Keep in step with
-- ../postgres.
ALTER TABLE published_rankings ADD COLUMN scope TEXT NOT NULL DEFAULT 'ranking';
CREATE INDEX published_rankings_kind ON published_rankings (contest_id, scope);
