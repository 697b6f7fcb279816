-- A resident's moved_in_at is when it came to its present dwelling (its
-- registration, or the last change of building, unit or room): it sees its
-- household's history from then on, not the previous occupants'. NULL for
-- rows written before, and by bulk loads: read as created_at.
--
-- The masked form of visitors' and watchlisted numbers is indexed: a number
-- that differs from a stored one only in its hidden digits is a guess at
-- them, counted and limited for roles that see numbers masked.

-- +goose Up
ALTER TABLE residents ADD COLUMN moved_in_at BIGINT NULL;
ALTER TABLE visitors ADD KEY visitors_id_masked (id_masked);
ALTER TABLE watchlist ADD KEY watchlist_id_masked (community_id, id_masked);

-- +goose Down
ALTER TABLE watchlist DROP KEY watchlist_id_masked;
ALTER TABLE visitors DROP KEY visitors_id_masked;
ALTER TABLE residents DROP COLUMN moved_in_at;
