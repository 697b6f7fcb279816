-- A per-community webhook: every decision is POSTed there, HMAC-signed.

-- +goose Up
ALTER TABLE communities
    ADD COLUMN webhook_url VARCHAR(500) NOT NULL DEFAULT '',
    ADD COLUMN webhook_secret_enc VARBINARY(256) NULL; -- sealed with the data key

-- +goose Down
ALTER TABLE communities DROP COLUMN webhook_secret_enc, DROP COLUMN webhook_url;
