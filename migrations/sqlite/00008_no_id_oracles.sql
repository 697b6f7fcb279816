-- No answer may say whether an ID number is already stored: a unique key on
-- a number's hash answers "is this the number?" to whoever adds a duplicate
-- (a manager recovering a masked number by trying the candidates). A present
-- resident is unique by dwelling and name instead, which the manager sees
-- anyway; the watchlist may list a person twice.

-- +goose Up
DROP INDEX residents_present_id;
CREATE UNIQUE INDEX residents_present_name ON residents (community_id, building, unit, room, name, active);
DROP INDEX watchlist_person;
CREATE INDEX watchlist_person_any ON watchlist (community_id, id_hash);

-- +goose Down
DROP INDEX watchlist_person_any;
CREATE UNIQUE INDEX watchlist_person ON watchlist (community_id, id_hash);
DROP INDEX residents_present_name;
CREATE UNIQUE INDEX residents_present_id ON residents (community_id, id_hash, active);
