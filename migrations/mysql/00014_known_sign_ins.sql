-- Where each account signed in lately: its networks (an IPv4 address or an
-- IPv6 /64, by keyed hash) and its remembered devices (by the hash of their
-- token), with the last sign-in from each. A log-in from one of them is not
-- held back by the account's failures from elsewhere, so that an attacker
-- cannot keep the owner out. Rows older than 30 days are pruned. Hashes
-- compared for equality are VARBINARY (see 00007).

-- +goose Up
CREATE TABLE known_sign_ins (
    user_id  BIGINT        NOT NULL,
    kind     VARBINARY(8)  NOT NULL, -- network or device
    key_hash VARBINARY(64) NOT NULL,
    last_at  BIGINT        NOT NULL,
    PRIMARY KEY (user_id, kind, key_hash),
    KEY known_sign_ins_last (last_at),
    CONSTRAINT known_sign_ins_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE known_sign_ins;
