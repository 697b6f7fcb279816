-- The district's monthly table reads, for each community, the month's
-- entries in time order: who (as a number), which pass, how, which way,
-- the decision and its reason. The community-time index now carries those
-- columns too, in that order after the entry's id, so the month is read
-- from the index alone, one community after another, instead of one table
-- row (with its hashes and names) per entry looked up across the file. Its
-- prefix still serves every lookup the narrow index served, and it stays
-- one index per entry written, not two. The id is listed although SQLite
-- ends every index with the rowid: listed, it orders entries of the same
-- moment by id right after the time, as the month is read, with no sort.

-- +goose Up
DROP INDEX entries_community_time;
CREATE INDEX entries_community_time ON entries
    (community_id, occurred_at, id, visitor_id, guard_id, pass_id, direction, decision, method, reason);

-- +goose Down
DROP INDEX entries_community_time;
CREATE INDEX entries_community_time ON entries (community_id, occurred_at);
