-- The district's monthly table counts each community's dwellings lived in
-- at the month's end. The household index now also carries the move-in and
-- move-out times, so that count reads the index alone, not every resident's
-- row (the prefix still serves the household lookups it served).

-- +goose Up
DROP INDEX residents_household;
CREATE INDEX residents_household ON residents (community_id, building, unit, room, moved_out_at, moved_in_at, created_at);

-- +goose Down
DROP INDEX residents_household;
CREATE INDEX residents_household ON residents (community_id, building, unit, room);
