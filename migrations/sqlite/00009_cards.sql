-- Residents' IC cards: credentials the door controllers check themselves.
-- A card number is unique among the cards not deleted of a community (active
-- is 1 while the card is not deleted, NULL after, as for residents). Each
-- change is a code change of kind "card", so gates learn it with sync.

-- +goose Up
CREATE TABLE cards (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id  INTEGER NOT NULL REFERENCES residents (id),
    number       TEXT    NOT NULL, -- decimal, as the reader sends it
    label        TEXT    NOT NULL DEFAULT '',
    valid_from   BIGINT  NOT NULL,
    valid_until  BIGINT  NULL,
    active       INTEGER NULL DEFAULT 1,
    created_by   INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    deleted_at   BIGINT  NULL,
    deleted_by   INTEGER NULL
);
CREATE UNIQUE INDEX cards_number ON cards (community_id, number, active);
CREATE INDEX cards_resident ON cards (resident_id);
CREATE INDEX cards_number_any ON cards (community_id, number, created_at);

-- +goose Down
DROP TABLE cards;
