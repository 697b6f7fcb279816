-- The district's monthly table reads, for each community, the month's
-- entries in time order: who (as a number), which pass, how, which way,
-- the decision and its reason. The community-time index now carries those
-- columns too, in that order after the entry's id, so the month is read
-- from the index alone, one community after another, instead of one table
-- row (with its hashes and names) per entry looked up by its primary key.
-- Its prefix still serves every lookup the narrow index served, and it
-- stays one index per entry written, not two.

-- +goose Up
ALTER TABLE entries DROP INDEX entries_community_time,
    ADD INDEX entries_community_time (community_id, occurred_at, id, visitor_id, guard_id, pass_id, direction, decision, method, reason);

-- +goose Down
ALTER TABLE entries DROP INDEX entries_community_time,
    ADD INDEX entries_community_time (community_id, occurred_at);
