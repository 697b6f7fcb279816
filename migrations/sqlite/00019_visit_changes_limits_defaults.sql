-- Visitors' self-registration, continued.
--
-- visit_request_changes: one row per change of a visit request (submitted,
-- approved, denied, expired, or a watchlist alert), in commit order by id, so
-- that every server process tells its live streams of changes made by the
-- others (as entries do through the entry log). Rows hold no personal data
-- and are pruned after a day.
--
-- visit_limit_locks: a row per limit bucket (a phone, a dwelling, an
-- address), locked by each registration while it counts, so that parallel
-- registrations through different posters or processes never pass a limit.
--
-- communities.visit_pass_hours and visit_pass_entries: what an approval
-- gives when the approver leaves validity and entries out.

-- +goose Up
CREATE TABLE visit_request_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL,
    request_id   INTEGER NOT NULL,
    status       TEXT    NOT NULL, -- the status the change made
    alert        INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX visit_request_changes_community ON visit_request_changes (community_id, id);
CREATE INDEX visit_request_changes_created ON visit_request_changes (created_at);

CREATE TABLE visit_limit_locks (
    bucket TEXT   NOT NULL PRIMARY KEY,
    at     BIGINT NOT NULL
);
CREATE INDEX visit_limit_locks_at ON visit_limit_locks (at);

ALTER TABLE communities ADD COLUMN visit_pass_hours INTEGER NOT NULL DEFAULT 8;
ALTER TABLE communities ADD COLUMN visit_pass_entries INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE communities DROP COLUMN visit_pass_entries;
ALTER TABLE communities DROP COLUMN visit_pass_hours;
DROP TABLE visit_limit_locks;
DROP TABLE visit_request_changes;
