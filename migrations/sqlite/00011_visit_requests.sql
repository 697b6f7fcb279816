-- Visitors' self-registration (扫码登记): registration posters (their token
-- stored hashed for lookup and sealed for reprinting) and visit requests (the
-- visitor's ID number sealed and hashed as residents' are; the consent to
-- processing it with its notice version and time; the status token hashed).
-- Denied and expired requests lose their personal fields after 24 hours:
-- only keyed hashes stay, for the limits.

-- +goose Up
ALTER TABLE communities ADD COLUMN visit_request_minutes INTEGER NOT NULL DEFAULT 10;

CREATE TABLE posters (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    gate_id      INTEGER NOT NULL DEFAULT 0, -- 0: the whole community
    token_hash   TEXT    NOT NULL,
    token_enc    BLOB    NOT NULL,
    revoked_at   BIGINT  NULL,
    created_by   INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX posters_token ON posters (token_hash);
CREATE INDEX posters_community ON posters (community_id, id);

CREATE TABLE visit_requests (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id   INTEGER NOT NULL REFERENCES communities (id),
    poster_id      INTEGER NOT NULL REFERENCES posters (id),
    gate_id        INTEGER NOT NULL DEFAULT 0,
    visitor_name   TEXT    NOT NULL DEFAULT '',
    id_type        TEXT    NOT NULL,
    id_enc         BLOB    NULL,     -- NULL once approved (the pass's visitor holds it) or erased
    id_hash        TEXT    NOT NULL,
    id_masked      TEXT    NOT NULL DEFAULT '',
    phone          TEXT    NOT NULL DEFAULT '',
    phone_hash     TEXT    NOT NULL,
    plate          TEXT    NOT NULL DEFAULT '',
    building       TEXT    NOT NULL,
    unit           TEXT    NOT NULL,
    room           TEXT    NOT NULL,
    purpose        TEXT    NOT NULL DEFAULT '',
    consent_id     INTEGER NOT NULL,
    notice_version TEXT    NOT NULL,
    consent_at     BIGINT  NOT NULL,
    status         TEXT    NOT NULL,
    status_hash    TEXT    NOT NULL,
    client_ip      TEXT    NOT NULL DEFAULT '',
    watchlisted    INTEGER NOT NULL DEFAULT 0,
    expires_at     BIGINT  NOT NULL,
    decided_at     BIGINT  NULL,
    decided_by     INTEGER NOT NULL DEFAULT 0,
    deny_reason    TEXT    NOT NULL DEFAULT '',
    pass_id        INTEGER NOT NULL DEFAULT 0,
    erased_at      BIGINT  NULL,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX visit_requests_community ON visit_requests (community_id, status, id);
CREATE INDEX visit_requests_household ON visit_requests (community_id, building, unit, room, status);
CREATE INDEX visit_requests_poster ON visit_requests (poster_id, created_at);
CREATE INDEX visit_requests_ip ON visit_requests (client_ip, created_at);
CREATE INDEX visit_requests_phone ON visit_requests (phone_hash, status);
CREATE INDEX visit_requests_status ON visit_requests (status, expires_at);

-- +goose Down
DROP TABLE visit_requests;
DROP TABLE posters;
ALTER TABLE communities DROP COLUMN visit_request_minutes;
