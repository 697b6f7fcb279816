-- Police queries and the access audit (itself a hash chain).

-- +goose Up
CREATE TABLE police_queries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    case_ref      TEXT    NOT NULL,
    purpose       TEXT    NOT NULL,
    community_ids TEXT    NOT NULL, -- comma-separated
    period_from   BIGINT  NOT NULL,
    period_to     BIGINT  NOT NULL,
    criteria_enc  BLOB    NOT NULL, -- the ID number, name and plate searched for, sealed
    max_entry_id  BIGINT  NOT NULL, -- the log as it stood: an export re-reads exactly this
    result_count  INTEGER NOT NULL,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX police_queries_user ON police_queries (user_id, id);

CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    seq          BIGINT  NOT NULL,
    actor_id     INTEGER NOT NULL,
    actor_name   TEXT    NOT NULL,
    actor_role   TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    community_id INTEGER NOT NULL DEFAULT 0,
    case_ref     TEXT    NOT NULL DEFAULT '',
    target       TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT '',
    at           BIGINT  NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL
);
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_action ON audit_events (action, id);
CREATE INDEX audit_events_community ON audit_events (community_id, id);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY, -- always 1
    seq  BIGINT  NOT NULL DEFAULT 0,
    hash TEXT    NOT NULL DEFAULT ''
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

-- Retention erases personal data of old entries: find them by time alone.
CREATE INDEX entries_erasable ON entries (occurred_at, erased_at);

-- +goose Down
DROP INDEX entries_erasable;
DROP TABLE audit_head;
DROP TABLE audit_events;
DROP TABLE police_queries;
