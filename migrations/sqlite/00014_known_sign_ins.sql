-- Where each account signed in lately: its networks (an IPv4 address or an
-- IPv6 /64, by keyed hash) and its remembered devices (by the hash of their
-- token), with the last sign-in from each. A log-in from one of them is not
-- held back by the account's failures from elsewhere, so that an attacker
-- cannot keep the owner out. Rows older than 30 days are pruned.

-- +goose Up
CREATE TABLE known_sign_ins (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    kind     TEXT    NOT NULL, -- network or device
    key_hash TEXT    NOT NULL,
    last_at  BIGINT  NOT NULL,
    PRIMARY KEY (user_id, kind, key_hash)
);
CREATE INDEX known_sign_ins_last ON known_sign_ins (last_at);

-- +goose Down
DROP TABLE known_sign_ins;
