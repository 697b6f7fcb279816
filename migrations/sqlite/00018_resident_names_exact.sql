-- A present resident is unique by dwelling and name (residents_present_name).
-- SQLite compares the stored (NFKC, trimmed) names byte for byte already,
-- as the app does; the MySQL/MariaDB migration of this number makes the
-- column's collation do the same there. Nothing changes here.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
