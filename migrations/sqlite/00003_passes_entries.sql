-- Passes, visitors (one identity row per ID number), the entry log with its per-community hash chain, the
-- watchlist, signing keys and the change feed that offline controllers sync.

-- +goose Up
CREATE TABLE visitors (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    id_type    TEXT    NOT NULL,
    id_enc     BLOB    NULL,     -- NULL once erased by retention
    id_hash    TEXT    NOT NULL, -- keyed hash: one row per person
    id_masked  TEXT    NOT NULL,
    erased_at  BIGINT  NULL,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE UNIQUE INDEX visitors_id_hash ON visitors (id_hash);

CREATE TABLE passes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id     INTEGER NOT NULL REFERENCES communities (id),
    host_resident_id INTEGER NOT NULL REFERENCES residents (id),
    visitor_id       INTEGER NOT NULL REFERENCES visitors (id),
    -- What the inviter wrote of the visitor, kept per pass: one inviter can
    -- neither read nor overwrite what another wrote of the same person.
    visitor_name     TEXT    NOT NULL,
    visitor_phone    TEXT    NOT NULL DEFAULT '',
    visitor_plate    TEXT    NOT NULL DEFAULT '',
    kind             TEXT    NOT NULL,
    purpose          TEXT    NOT NULL DEFAULT '',
    valid_from       BIGINT  NOT NULL,
    valid_until      BIGINT  NOT NULL,
    max_entries      INTEGER NOT NULL,
    uses             INTEGER NOT NULL DEFAULT 0,
    gate_ids         TEXT    NOT NULL DEFAULT '', -- comma-separated; empty: every gate
    schedule_days    INTEGER NOT NULL DEFAULT 0,  -- bit 0 Monday ... bit 6 Sunday; 0: no schedule
    schedule_start   INTEGER NOT NULL DEFAULT 0,  -- minutes after local midnight
    schedule_end     INTEGER NOT NULL DEFAULT 0,
    key_id           INTEGER NOT NULL,
    revoked_at       BIGINT  NULL,
    revoked_by       INTEGER NULL,
    created_by       INTEGER NOT NULL,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX passes_community ON passes (community_id, id);
CREATE INDEX passes_host ON passes (host_resident_id, id);
CREATE INDEX passes_visitor ON passes (visitor_id);

-- What offline controllers must learn, in order: passes revoked or used up,
-- residents moved out (subject_id is the pass or the resident).
CREATE TABLE code_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL,
    subject_id   INTEGER NOT NULL,
    kind         TEXT    NOT NULL, -- revoked, exhausted or moved_out
    at           BIGINT  NOT NULL
);
CREATE INDEX code_changes_community ON code_changes (community_id, id);

CREATE TABLE chain_heads (
    community_id INTEGER PRIMARY KEY REFERENCES communities (id),
    seq          BIGINT  NOT NULL DEFAULT 0,
    hash         TEXT    NOT NULL DEFAULT '' -- '' before the first entry
);
INSERT INTO chain_heads (community_id, seq, hash) SELECT id, 0, '' FROM communities;

CREATE TABLE entries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id     INTEGER NOT NULL,
    seq              BIGINT  NOT NULL,
    gate_id          INTEGER NOT NULL DEFAULT 0,
    pass_id          INTEGER NOT NULL DEFAULT 0,
    resident_id      INTEGER NOT NULL DEFAULT 0,
    visitor_id       INTEGER NOT NULL DEFAULT 0,
    host_resident_id INTEGER NOT NULL DEFAULT 0,
    direction        TEXT    NOT NULL,
    decision         TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    server_decision  TEXT    NOT NULL,
    method           TEXT    NOT NULL,
    guard_id         INTEGER NOT NULL DEFAULT 0,
    event_id         TEXT    NULL,     -- offline events: unique per gate
    occurred_at      BIGINT  NOT NULL,
    recorded_at      BIGINT  NOT NULL,
    person_name      TEXT    NOT NULL DEFAULT '',
    id_hash          TEXT    NOT NULL DEFAULT '',
    plate            TEXT    NOT NULL DEFAULT '',
    note             TEXT    NOT NULL DEFAULT '',
    erased_at        BIGINT  NULL,
    personal_digest  TEXT    NOT NULL,
    prev_hash        TEXT    NOT NULL,
    hash             TEXT    NOT NULL
);
CREATE UNIQUE INDEX entries_chain ON entries (community_id, seq);
CREATE UNIQUE INDEX entries_event ON entries (gate_id, event_id);
CREATE INDEX entries_community_time ON entries (community_id, occurred_at);
CREATE INDEX entries_id_hash ON entries (id_hash, occurred_at);
CREATE INDEX entries_plate ON entries (plate, occurred_at);
CREATE INDEX entries_pass ON entries (pass_id);
CREATE INDEX entries_host ON entries (host_resident_id, id);

-- Who is inside: the last granted direction of each person per community.
CREATE TABLE presence (
    community_id INTEGER NOT NULL,
    subject      TEXT    NOT NULL, -- v<visitor id> or r<resident id>
    inside       INTEGER NOT NULL,
    pass_id      INTEGER NOT NULL DEFAULT 0,
    entry_id     INTEGER NOT NULL,
    since        BIGINT  NOT NULL,
    PRIMARY KEY (community_id, subject)
);
CREATE INDEX presence_inside ON presence (community_id, inside, since);

CREATE TABLE watchlist (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    id_hash      TEXT    NOT NULL,
    id_masked    TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL,
    created_by   INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX watchlist_person ON watchlist (community_id, id_hash);

-- Ed25519 keys that sign codes; private halves sealed with the key directory's data key.
CREATE TABLE signing_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    public_key  BLOB    NOT NULL,
    private_enc BLOB    NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE signing_keys;
DROP TABLE watchlist;
DROP TABLE presence;
DROP TABLE entries;
DROP TABLE chain_heads;
DROP TABLE code_changes;
DROP TABLE passes;
DROP TABLE visitors;
