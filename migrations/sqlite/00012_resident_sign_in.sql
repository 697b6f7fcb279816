-- Residents' sign-in: activation letters, SMS one-time codes and device
-- sessions. A session remembers its device's name, how it was opened, when
-- it was last used, and whether the device is remembered (30 days, renewed
-- while used). Letter codes and SMS codes are stored only as hashes; SMS
-- rows name their phone by a keyed hash, never in clear.

-- +goose Up
ALTER TABLE sessions ADD COLUMN device_name TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
ALTER TABLE sessions ADD COLUMN remember INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT NULL;
ALTER TABLE sessions ADD COLUMN renew_for BIGINT NOT NULL DEFAULT 0; -- microseconds a use extends it by; 0: never

CREATE TABLE activation_letters (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id  INTEGER NOT NULL REFERENCES residents (id),
    code_hash    TEXT    NOT NULL,
    created_by   INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    used_at      BIGINT  NULL,
    user_id      INTEGER NULL
);
CREATE UNIQUE INDEX activation_letters_code ON activation_letters (code_hash);
CREATE INDEX activation_letters_resident ON activation_letters (resident_id);

CREATE TABLE sms_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    phone_hash TEXT    NOT NULL,
    code_hash  TEXT    NOT NULL,
    sent_at    BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    used_at    BIGINT  NULL
);
CREATE INDEX sms_codes_phone ON sms_codes (phone_hash, sent_at);
CREATE INDEX sms_codes_expires ON sms_codes (expires_at);

-- +goose Down
DROP TABLE sms_codes;
DROP TABLE activation_letters;
ALTER TABLE sessions DROP COLUMN renew_for;
ALTER TABLE sessions DROP COLUMN last_used_at;
ALTER TABLE sessions DROP COLUMN remember;
ALTER TABLE sessions DROP COLUMN method;
ALTER TABLE sessions DROP COLUMN device_name;
