-- Login attempts are counted under a lock per bucket, so that parallel
-- attempts (on one process or several) never pass a limit together.
-- Identifiers compared for equality become VARBINARY: compared byte for byte,
-- with no case folding and no PAD SPACE ("admin " is not "admin"). MySQL 8's
-- utf8mb4_0900_bin and MariaDB's utf8mb4_nopad_bin would do too, but neither
-- server has the other's.

-- +goose Up
CREATE TABLE login_locks (
    bucket VARBINARY(200) NOT NULL PRIMARY KEY,
    at     BIGINT         NOT NULL, -- the last attempt: locks quiet for a window are pruned
    KEY login_locks_at (at)
) ENGINE = InnoDB;

ALTER TABLE users MODIFY username VARBINARY(64) NOT NULL;
ALTER TABLE sessions MODIFY token_hash VARBINARY(64) NOT NULL;
ALTER TABLE login_failures MODIFY bucket VARBINARY(200) NOT NULL;
ALTER TABLE gates MODIFY key_hash VARBINARY(64) NOT NULL;
ALTER TABLE residents
    MODIFY id_hash  VARBINARY(64)  NOT NULL,
    MODIFY building VARBINARY(256) NOT NULL, -- 64 characters of UTF-8
    MODIFY unit     VARBINARY(256) NOT NULL,
    MODIFY room     VARBINARY(256) NOT NULL;
ALTER TABLE visitors MODIFY id_hash VARBINARY(64) NOT NULL;
ALTER TABLE entries
    MODIFY event_id VARBINARY(64) NULL,
    MODIFY id_hash  VARBINARY(64) NOT NULL DEFAULT '';
ALTER TABLE presence MODIFY subject VARBINARY(24) NOT NULL;
ALTER TABLE watchlist MODIFY id_hash VARBINARY(64) NOT NULL;

-- +goose Down
ALTER TABLE watchlist MODIFY id_hash CHAR(64) NOT NULL;
ALTER TABLE presence MODIFY subject VARCHAR(24) NOT NULL;
ALTER TABLE entries
    MODIFY event_id VARCHAR(64) NULL,
    MODIFY id_hash  CHAR(64)    NOT NULL DEFAULT '';
ALTER TABLE visitors MODIFY id_hash CHAR(64) NOT NULL;
ALTER TABLE residents
    MODIFY id_hash  CHAR(64)    NOT NULL,
    MODIFY building VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    MODIFY unit     VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    MODIFY room     VARCHAR(64) COLLATE utf8mb4_bin NOT NULL;
ALTER TABLE gates MODIFY key_hash CHAR(64) NOT NULL;
ALTER TABLE login_failures MODIFY bucket VARCHAR(200) NOT NULL;
ALTER TABLE sessions MODIFY token_hash CHAR(64) NOT NULL;
ALTER TABLE users MODIFY username VARCHAR(64) NOT NULL;
DROP TABLE login_locks;
