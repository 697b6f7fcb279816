-- Foundation, part 2: accounts, sessions, login limiting and gates.

-- +goose Up
CREATE TABLE users (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username      VARCHAR(64)  NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role          VARCHAR(16)  NOT NULL,
    resident_id   BIGINT       NULL,
    disabled      TINYINT      NOT NULL DEFAULT 0,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL,
    UNIQUE KEY users_username (username),
    CONSTRAINT users_resident FOREIGN KEY (resident_id) REFERENCES residents (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE user_communities (
    user_id      BIGINT NOT NULL,
    community_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, community_id),
    KEY user_communities_community (community_id),
    CONSTRAINT user_communities_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT user_communities_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB;

CREATE TABLE sessions (
    token_hash CHAR(64) NOT NULL PRIMARY KEY,
    user_id    BIGINT   NOT NULL,
    created_at BIGINT   NOT NULL,
    expires_at BIGINT   NOT NULL,
    KEY sessions_user (user_id),
    KEY sessions_expires (expires_at),
    CONSTRAINT sessions_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB;

CREATE TABLE login_failures (
    id     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    bucket VARCHAR(200) NOT NULL,
    at     BIGINT       NOT NULL,
    KEY login_failures_bucket_at (bucket, at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE gates (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT       NOT NULL,
    name         VARCHAR(128) NOT NULL,
    key_hash     CHAR(64)     NOT NULL,
    key_prefix   VARCHAR(16)  NOT NULL,
    disabled_at  BIGINT       NULL,
    last_seen_at BIGINT       NULL,
    created_at   BIGINT       NOT NULL,
    updated_at   BIGINT       NOT NULL,
    UNIQUE KEY gates_key_hash (key_hash),
    KEY gates_community (community_id),
    CONSTRAINT gates_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE gates;
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE user_communities;
DROP TABLE users;
