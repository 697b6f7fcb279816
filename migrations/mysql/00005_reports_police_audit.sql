-- Police queries and the access audit (itself a hash chain).

-- +goose Up
CREATE TABLE police_queries (
    id            BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id       BIGINT         NOT NULL,
    case_ref      VARCHAR(128)   NOT NULL,
    purpose       VARCHAR(1000)  NOT NULL,
    community_ids VARCHAR(2000)  NOT NULL, -- comma-separated
    period_from   BIGINT         NOT NULL,
    period_to     BIGINT         NOT NULL,
    criteria_enc  VARBINARY(1024) NOT NULL, -- the ID number, name and plate searched for, sealed
    max_entry_id  BIGINT         NOT NULL, -- the log as it stood: an export re-reads exactly this
    result_count  INT            NOT NULL,
    created_at    BIGINT         NOT NULL,
    KEY police_queries_user (user_id, id),
    CONSTRAINT police_queries_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE audit_events (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seq          BIGINT        NOT NULL,
    actor_id     BIGINT        NOT NULL,
    actor_name   VARCHAR(64)   NOT NULL,
    actor_role   VARCHAR(16)   NOT NULL,
    action       VARCHAR(32)   NOT NULL,
    community_id BIGINT        NOT NULL DEFAULT 0,
    case_ref     VARCHAR(128)  NOT NULL DEFAULT '',
    target       VARCHAR(200)  NOT NULL DEFAULT '',
    detail       VARCHAR(2000) NOT NULL DEFAULT '',
    at           BIGINT        NOT NULL,
    prev_hash    CHAR(64)      NOT NULL,
    hash         CHAR(64)      NOT NULL,
    UNIQUE KEY audit_events_seq (seq),
    KEY audit_events_actor (actor_id, id),
    KEY audit_events_action (action, id),
    KEY audit_events_community (community_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE audit_head (
    id   INT      NOT NULL PRIMARY KEY, -- always 1
    seq  BIGINT   NOT NULL DEFAULT 0,
    hash CHAR(64) NOT NULL DEFAULT ''
) ENGINE = InnoDB;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

-- Retention erases personal data of old entries: find them by time alone.
CREATE INDEX entries_erasable ON entries (occurred_at, erased_at);

-- +goose Down
DROP INDEX entries_erasable ON entries;
DROP TABLE audit_head;
DROP TABLE audit_events;
DROP TABLE police_queries;
