-- Foundation, part 2: accounts, sessions, login limiting and gates.

-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    resident_id   INTEGER NULL REFERENCES residents (id),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);

CREATE TABLE user_communities (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    community_id INTEGER NOT NULL REFERENCES communities (id),
    PRIMARY KEY (user_id, community_id)
);
CREATE INDEX user_communities_community ON user_communities (community_id);

CREATE TABLE sessions (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_failures (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT   NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX login_failures_bucket_at ON login_failures (bucket, at);

CREATE TABLE gates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    name         TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL,
    key_prefix   TEXT    NOT NULL,
    disabled_at  BIGINT  NULL,
    last_seen_at BIGINT  NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX gates_key_hash ON gates (key_hash);
CREATE INDEX gates_community ON gates (community_id);

-- +goose Down
DROP TABLE gates;
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE user_communities;
DROP TABLE users;
