-- Residents' sign-in: activation letters, SMS one-time codes and device
-- sessions. A session remembers its device's name, how it was opened, when
-- it was last used, and whether the device is remembered (30 days, renewed
-- while used). Letter codes and SMS codes are stored only as hashes; SMS
-- rows name their phone by a keyed hash, never in clear. Hashes compared for
-- equality are VARBINARY (see 00007).

-- +goose Up
ALTER TABLE sessions
    ADD COLUMN device_name  VARCHAR(64) NOT NULL DEFAULT '',
    ADD COLUMN method       VARCHAR(16) NOT NULL DEFAULT 'password',
    ADD COLUMN remember     TINYINT     NOT NULL DEFAULT 0,
    ADD COLUMN last_used_at BIGINT      NULL,
    ADD COLUMN renew_for    BIGINT      NOT NULL DEFAULT 0; -- microseconds a use extends it by; 0: never

CREATE TABLE activation_letters (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT        NOT NULL,
    resident_id  BIGINT        NOT NULL,
    code_hash    VARBINARY(64) NOT NULL,
    created_by   BIGINT        NOT NULL,
    created_at   BIGINT        NOT NULL,
    expires_at   BIGINT        NOT NULL,
    used_at      BIGINT        NULL,
    user_id      BIGINT        NULL,
    UNIQUE KEY activation_letters_code (code_hash),
    KEY activation_letters_resident (resident_id),
    CONSTRAINT activation_letters_community FOREIGN KEY (community_id) REFERENCES communities (id),
    CONSTRAINT activation_letters_resident FOREIGN KEY (resident_id) REFERENCES residents (id)
) ENGINE = InnoDB;

CREATE TABLE sms_codes (
    id         BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    phone_hash VARBINARY(64) NOT NULL,
    code_hash  VARBINARY(64) NOT NULL,
    sent_at    BIGINT        NOT NULL,
    expires_at BIGINT        NOT NULL,
    tries      INT           NOT NULL DEFAULT 0,
    used_at    BIGINT        NULL,
    KEY sms_codes_phone (phone_hash, sent_at),
    KEY sms_codes_expires (expires_at)
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE sms_codes;
DROP TABLE activation_letters;
ALTER TABLE sessions
    DROP COLUMN renew_for,
    DROP COLUMN last_used_at,
    DROP COLUMN remember,
    DROP COLUMN method,
    DROP COLUMN device_name;
