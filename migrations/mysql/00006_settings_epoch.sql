-- A community's settings epoch: it moves whenever the community's settings,
-- gates or watchlist change. Every scan reads it with the chain head it
-- locks anyway, so a process knows at once when its caches are stale.

-- +goose Up
ALTER TABLE chain_heads ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE chain_heads DROP COLUMN epoch;
