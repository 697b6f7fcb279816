-- Foundation, part 1: communities and their residents.
-- Times are Unix microseconds (UTC) in BIGINT columns: one exact form on every
-- dialect, so that hashes over them never depend on a driver's time handling.
-- Every table has a primary key: Galera replicates only such tables safely.

-- +goose Up
CREATE TABLE communities (
    id                     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name                   VARCHAR(200) NOT NULL,
    address                VARCHAR(400) NOT NULL DEFAULT '',
    anti_passback          TINYINT      NOT NULL DEFAULT 0,
    time_zone              VARCHAR(64)  NOT NULL,
    max_pass_days          INT          NOT NULL DEFAULT 7,
    onsite_threshold_hours INT          NOT NULL DEFAULT 72,
    created_at             BIGINT       NOT NULL,
    updated_at             BIGINT       NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE residents (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT        NOT NULL,
    name         VARCHAR(128)  NOT NULL,
    id_type      VARCHAR(32)   NOT NULL,
    id_enc       VARBINARY(255) NOT NULL,
    id_hash      CHAR(64)      NOT NULL,
    id_masked    VARCHAR(64)   NOT NULL,
    phone        VARCHAR(32)   NOT NULL,
    -- The dwelling is a resident's privacy boundary: compared byte for byte
    -- (it is normalized before it is stored), never case- or width-folded.
    building     VARCHAR(64)   COLLATE utf8mb4_bin NOT NULL,
    unit         VARCHAR(64)   COLLATE utf8mb4_bin NOT NULL,
    room         VARCHAR(64)   COLLATE utf8mb4_bin NOT NULL,
    active       TINYINT       NULL DEFAULT 1, -- 1 while living here, NULL once moved out: keeps the unique key to present residents
    moved_out_at BIGINT        NULL,
    created_at   BIGINT        NOT NULL,
    updated_at   BIGINT        NOT NULL,
    UNIQUE KEY residents_present_id (community_id, id_hash, active),
    KEY residents_household (community_id, building, unit, room),
    KEY residents_id_hash (id_hash),
    CONSTRAINT residents_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE residents;
DROP TABLE communities;
