-- The district's monthly table tells entries through a walk-in pass from
-- entries through a registered one. It reads the month's walk-in passes
-- through this index instead of looking up the pass of every entry.

-- +goose Up
CREATE INDEX passes_kind ON passes (kind, community_id, valid_until);

-- +goose Down
DROP INDEX passes_kind;
