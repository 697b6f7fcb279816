-- Foundation, part 1: communities and their residents.
-- Times are Unix microseconds (UTC) in BIGINT columns: one exact form on every
-- dialect, so that hashes over them never depend on a driver's time handling.

-- +goose Up
CREATE TABLE communities (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    name                   TEXT    NOT NULL,
    address                TEXT    NOT NULL DEFAULT '',
    anti_passback          INTEGER NOT NULL DEFAULT 0,
    time_zone              TEXT    NOT NULL,
    max_pass_days          INTEGER NOT NULL DEFAULT 7,
    onsite_threshold_hours INTEGER NOT NULL DEFAULT 72,
    created_at             BIGINT  NOT NULL,
    updated_at             BIGINT  NOT NULL
);

CREATE TABLE residents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    name         TEXT    NOT NULL,
    id_type      TEXT    NOT NULL,
    id_enc       BLOB    NOT NULL,
    id_hash      TEXT    NOT NULL,
    id_masked    TEXT    NOT NULL,
    phone        TEXT    NOT NULL,
    building     TEXT    NOT NULL,
    unit         TEXT    NOT NULL,
    room         TEXT    NOT NULL,
    active       INTEGER NULL DEFAULT 1, -- 1 while living here, NULL once moved out: keeps the unique key to present residents
    moved_out_at BIGINT  NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX residents_present_id ON residents (community_id, id_hash, active);
CREATE INDEX residents_household ON residents (community_id, building, unit, room);
CREATE INDEX residents_id_hash ON residents (id_hash);

-- +goose Down
DROP TABLE residents;
DROP TABLE communities;
