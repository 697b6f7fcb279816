-- Login attempts are counted under a lock per bucket (on SQLite the one
-- writer already serializes them; the table keeps both dialects' code one).
-- SQLite compares TEXT byte for byte already, so identifiers need no change.

-- +goose Up
CREATE TABLE login_locks (
    bucket TEXT   NOT NULL PRIMARY KEY,
    at     BIGINT NOT NULL
);
CREATE INDEX login_locks_at ON login_locks (at);

-- +goose Down
DROP TABLE login_locks;
