-- Visitors' self-registration (扫码登记): registration posters (their token
-- stored hashed for lookup and sealed for reprinting) and visit requests (the
-- visitor's ID number sealed and hashed as residents' are; the consent to
-- processing it with its notice version and time; the status token hashed).
-- Denied and expired requests lose their personal fields after 24 hours:
-- only keyed hashes stay, for the limits. Identifiers compared for equality
-- are VARBINARY (see 00007).

-- +goose Up
ALTER TABLE communities ADD COLUMN visit_request_minutes INT NOT NULL DEFAULT 10;

CREATE TABLE posters (
    id           BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT         NOT NULL,
    gate_id      BIGINT         NOT NULL DEFAULT 0,
    token_hash   VARBINARY(64)  NOT NULL,
    token_enc    VARBINARY(255) NOT NULL,
    revoked_at   BIGINT         NULL,
    created_by   BIGINT         NOT NULL,
    created_at   BIGINT         NOT NULL,
    UNIQUE KEY posters_token (token_hash),
    KEY posters_community (community_id, id),
    CONSTRAINT posters_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE visit_requests (
    id             BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id   BIGINT         NOT NULL,
    poster_id      BIGINT         NOT NULL,
    gate_id        BIGINT         NOT NULL DEFAULT 0,
    visitor_name   VARCHAR(64)    NOT NULL DEFAULT '',
    id_type        VARCHAR(32)    NOT NULL,
    id_enc         VARBINARY(255) NULL,
    id_hash        VARBINARY(64)  NOT NULL,
    id_masked      VARCHAR(64)    NOT NULL DEFAULT '',
    phone          VARCHAR(32)    NOT NULL DEFAULT '',
    phone_hash     VARBINARY(64)  NOT NULL,
    plate          VARCHAR(16)    NOT NULL DEFAULT '',
    building       VARBINARY(256) NOT NULL, -- 64 characters of UTF-8
    unit           VARBINARY(256) NOT NULL,
    room           VARBINARY(256) NOT NULL,
    purpose        VARCHAR(200)   NOT NULL DEFAULT '',
    consent_id     TINYINT        NOT NULL,
    notice_version VARCHAR(32)    NOT NULL,
    consent_at     BIGINT         NOT NULL,
    status         VARBINARY(16)  NOT NULL,
    status_hash    VARBINARY(64)  NOT NULL,
    client_ip      VARBINARY(64)  NOT NULL DEFAULT '',
    watchlisted    TINYINT        NOT NULL DEFAULT 0,
    expires_at     BIGINT         NOT NULL,
    decided_at     BIGINT         NULL,
    decided_by     BIGINT         NOT NULL DEFAULT 0,
    deny_reason    VARCHAR(200)   NOT NULL DEFAULT '',
    pass_id        BIGINT         NOT NULL DEFAULT 0,
    erased_at      BIGINT         NULL,
    created_at     BIGINT         NOT NULL,
    KEY visit_requests_community (community_id, status, id),
    KEY visit_requests_household (community_id, building, unit, room, status),
    KEY visit_requests_poster (poster_id, created_at),
    KEY visit_requests_ip (client_ip, created_at),
    KEY visit_requests_phone (phone_hash, status),
    KEY visit_requests_status (status, expires_at),
    CONSTRAINT visit_requests_community FOREIGN KEY (community_id) REFERENCES communities (id),
    CONSTRAINT visit_requests_poster FOREIGN KEY (poster_id) REFERENCES posters (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE visit_requests;
DROP TABLE posters;
ALTER TABLE communities DROP COLUMN visit_request_minutes;
