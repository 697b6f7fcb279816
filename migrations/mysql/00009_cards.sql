-- Residents' IC cards: credentials the door controllers check themselves.
-- A card number is unique among the cards not deleted of a community (active
-- is 1 while the card is not deleted, NULL after, as for residents). Each
-- change is a code change of kind "card", so gates learn it with sync. The
-- number is compared for equality, so it is VARBINARY (see 00007).

-- +goose Up
CREATE TABLE cards (
    id           BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT         NOT NULL,
    resident_id  BIGINT         NOT NULL,
    number       VARBINARY(20)  NOT NULL, -- decimal, as the reader sends it
    label        VARCHAR(64)    NOT NULL DEFAULT '',
    valid_from   BIGINT         NOT NULL,
    valid_until  BIGINT         NULL,
    active       TINYINT        NULL DEFAULT 1,
    created_by   BIGINT         NOT NULL,
    created_at   BIGINT         NOT NULL,
    updated_at   BIGINT         NOT NULL,
    deleted_at   BIGINT         NULL,
    deleted_by   BIGINT         NULL,
    UNIQUE KEY cards_number (community_id, number, active),
    KEY cards_resident (resident_id),
    KEY cards_number_any (community_id, number, created_at),
    CONSTRAINT cards_community FOREIGN KEY (community_id) REFERENCES communities (id),
    CONSTRAINT cards_resident FOREIGN KEY (resident_id) REFERENCES residents (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE cards;
