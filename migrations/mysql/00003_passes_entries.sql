-- Passes, visitors (one identity row per ID number), the entry log with its per-community hash chain, the
-- watchlist, signing keys and the change feed that offline controllers sync.

-- +goose Up
CREATE TABLE visitors (
    id         BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    id_type    VARCHAR(32)    NOT NULL,
    id_enc     VARBINARY(255) NULL,     -- NULL once erased by retention
    id_hash    CHAR(64)       NOT NULL, -- keyed hash: one row per person
    id_masked  VARCHAR(64)    NOT NULL,
    erased_at  BIGINT         NULL,
    created_at BIGINT         NOT NULL,
    updated_at BIGINT         NOT NULL,
    UNIQUE KEY visitors_id_hash (id_hash)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE passes (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id     BIGINT       NOT NULL,
    host_resident_id BIGINT       NOT NULL,
    visitor_id       BIGINT       NOT NULL,
    -- What the inviter wrote of the visitor, kept per pass: one inviter can
    -- neither read nor overwrite what another wrote of the same person.
    visitor_name     VARCHAR(128) NOT NULL,
    visitor_phone    VARCHAR(32)  NOT NULL DEFAULT '',
    visitor_plate    VARCHAR(16)  NOT NULL DEFAULT '',
    kind             VARCHAR(16)  NOT NULL,
    purpose          VARCHAR(400) NOT NULL DEFAULT '',
    valid_from       BIGINT       NOT NULL,
    valid_until      BIGINT       NOT NULL,
    max_entries      INT          NOT NULL,
    uses             INT          NOT NULL DEFAULT 0,
    gate_ids         VARCHAR(200) NOT NULL DEFAULT '', -- comma-separated; empty: every gate
    schedule_days    TINYINT      NOT NULL DEFAULT 0,  -- bit 0 Monday ... bit 6 Sunday; 0: no schedule
    schedule_start   SMALLINT     NOT NULL DEFAULT 0,  -- minutes after local midnight
    schedule_end     SMALLINT     NOT NULL DEFAULT 0,
    key_id           INT          NOT NULL,
    revoked_at       BIGINT       NULL,
    revoked_by       BIGINT       NULL,
    created_by       BIGINT       NOT NULL,
    created_at       BIGINT       NOT NULL,
    updated_at       BIGINT       NOT NULL,
    KEY passes_community (community_id, id),
    KEY passes_host (host_resident_id, id),
    KEY passes_visitor (visitor_id),
    CONSTRAINT passes_community FOREIGN KEY (community_id) REFERENCES communities (id),
    CONSTRAINT passes_host FOREIGN KEY (host_resident_id) REFERENCES residents (id),
    CONSTRAINT passes_visitor FOREIGN KEY (visitor_id) REFERENCES visitors (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- What offline controllers must learn, in order: passes revoked or used up,
-- residents moved out (subject_id is the pass or the resident).
CREATE TABLE code_changes (
    id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT      NOT NULL,
    subject_id   BIGINT      NOT NULL,
    kind         VARCHAR(16) NOT NULL, -- revoked, exhausted or moved_out
    at           BIGINT      NOT NULL,
    KEY code_changes_community (community_id, id)
) ENGINE = InnoDB;

CREATE TABLE chain_heads (
    community_id BIGINT   NOT NULL PRIMARY KEY,
    seq          BIGINT   NOT NULL DEFAULT 0,
    hash         CHAR(64) NOT NULL DEFAULT '', -- '' before the first entry
    CONSTRAINT chain_heads_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB;
INSERT INTO chain_heads (community_id, seq, hash) SELECT id, 0, '' FROM communities;

CREATE TABLE entries (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id     BIGINT       NOT NULL,
    seq              BIGINT       NOT NULL,
    gate_id          BIGINT       NOT NULL DEFAULT 0,
    pass_id          BIGINT       NOT NULL DEFAULT 0,
    resident_id      BIGINT       NOT NULL DEFAULT 0,
    visitor_id       BIGINT       NOT NULL DEFAULT 0,
    host_resident_id BIGINT       NOT NULL DEFAULT 0,
    direction        VARCHAR(8)   NOT NULL,
    decision         VARCHAR(8)   NOT NULL,
    reason           VARCHAR(32)  NOT NULL,
    server_decision  VARCHAR(8)   NOT NULL,
    method           VARCHAR(16)  NOT NULL,
    guard_id         BIGINT       NOT NULL DEFAULT 0,
    event_id         VARCHAR(64)  NULL,     -- offline events: unique per gate
    occurred_at      BIGINT       NOT NULL,
    recorded_at      BIGINT       NOT NULL,
    person_name      VARCHAR(128) NOT NULL DEFAULT '',
    id_hash          CHAR(64)     NOT NULL DEFAULT '',
    plate            VARCHAR(16)  NOT NULL DEFAULT '',
    note             VARCHAR(400) NOT NULL DEFAULT '',
    erased_at        BIGINT       NULL,
    personal_digest  CHAR(64)     NOT NULL,
    prev_hash        CHAR(64)     NOT NULL,
    hash             CHAR(64)     NOT NULL,
    UNIQUE KEY entries_chain (community_id, seq),
    UNIQUE KEY entries_event (gate_id, event_id),
    KEY entries_community_time (community_id, occurred_at),
    KEY entries_id_hash (id_hash, occurred_at),
    KEY entries_plate (plate, occurred_at),
    KEY entries_pass (pass_id),
    KEY entries_host (host_resident_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Who is inside: the last granted direction of each person per community.
CREATE TABLE presence (
    community_id BIGINT      NOT NULL,
    subject      VARCHAR(24) NOT NULL, -- v<visitor id> or r<resident id>
    inside       TINYINT     NOT NULL,
    pass_id      BIGINT      NOT NULL DEFAULT 0,
    entry_id     BIGINT      NOT NULL,
    since        BIGINT      NOT NULL,
    PRIMARY KEY (community_id, subject),
    KEY presence_inside (community_id, inside, since)
) ENGINE = InnoDB;

CREATE TABLE watchlist (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT       NOT NULL,
    id_hash      CHAR(64)     NOT NULL,
    id_masked    VARCHAR(64)  NOT NULL,
    name         VARCHAR(128) NOT NULL DEFAULT '',
    reason       VARCHAR(400) NOT NULL,
    created_by   BIGINT       NOT NULL,
    created_at   BIGINT       NOT NULL,
    UNIQUE KEY watchlist_person (community_id, id_hash),
    CONSTRAINT watchlist_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Ed25519 keys that sign codes; private halves sealed with the key directory's data key.
CREATE TABLE signing_keys (
    id          INT            NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_key  VARBINARY(32)  NOT NULL,
    private_enc VARBINARY(128) NOT NULL,
    created_at  BIGINT         NOT NULL
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE signing_keys;
DROP TABLE watchlist;
DROP TABLE presence;
DROP TABLE entries;
DROP TABLE chain_heads;
DROP TABLE code_changes;
DROP TABLE passes;
DROP TABLE visitors;
