-- No answer may say whether an ID number is already stored: a unique key on
-- a number's hash answers "is this the number?" to whoever adds a duplicate
-- (a manager recovering a masked number by trying the candidates). A present
-- resident is unique by dwelling and name instead, which the manager sees
-- anyway; the watchlist may list a person twice.

-- +goose Up
ALTER TABLE residents
    ADD UNIQUE KEY residents_present_name (community_id, building, unit, room, name, active),
    DROP KEY residents_present_id;
ALTER TABLE watchlist
    ADD KEY watchlist_person_any (community_id, id_hash),
    DROP KEY watchlist_person;

-- +goose Down
ALTER TABLE watchlist
    ADD UNIQUE KEY watchlist_person (community_id, id_hash),
    DROP KEY watchlist_person_any;
ALTER TABLE residents
    ADD UNIQUE KEY residents_present_id (community_id, id_hash, active),
    DROP KEY residents_present_name;
