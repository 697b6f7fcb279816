-- A present resident is unique by dwelling and name (residents_present_name).
-- The app compares names after NFKC, then exactly, and so does SQLite; the
-- column's utf8mb4_unicode_ci folded case and accents, so on MySQL/MariaDB a
-- second "LI NA" or "Lí Na" in a dwelling with a "Li Na" was refused as the
-- same person. utf8mb4_bin compares the stored (NFKC, trimmed) bytes. Its
-- PAD SPACE never matters: names are trimmed before they are stored.
-- Searches compare LOWER(name) with the lowered pattern, as before in any case.
--
-- Down folds case and accents again and fails if two present residents of a
-- dwelling then clash.

-- +goose Up
ALTER TABLE residents MODIFY name VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- +goose Down
ALTER TABLE residents MODIFY name VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL;
