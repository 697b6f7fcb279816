-- A per-community webhook: every decision is POSTed there, HMAC-signed.

-- +goose Up
ALTER TABLE communities ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';
ALTER TABLE communities ADD COLUMN webhook_secret_enc BLOB NULL; -- sealed with the data key

-- +goose Down
ALTER TABLE communities DROP COLUMN webhook_secret_enc;
ALTER TABLE communities DROP COLUMN webhook_url;
