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
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT        NOT NULL,
    request_id   BIGINT        NOT NULL,
    status       VARBINARY(16) NOT NULL, -- the status the change made
    alert        TINYINT       NOT NULL DEFAULT 0,
    created_at   BIGINT        NOT NULL,
    KEY visit_request_changes_community (community_id, id),
    KEY visit_request_changes_created (created_at)
) ENGINE = InnoDB;

CREATE TABLE visit_limit_locks (
    bucket VARBINARY(200) NOT NULL PRIMARY KEY,
    at     BIGINT         NOT NULL, -- the last registration: locks quiet for an hour are pruned
    KEY visit_limit_locks_at (at)
) ENGINE = InnoDB;

ALTER TABLE communities
    ADD COLUMN visit_pass_hours   INT NOT NULL DEFAULT 8,
    ADD COLUMN visit_pass_entries INT NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE communities DROP COLUMN visit_pass_entries, DROP COLUMN visit_pass_hours;
DROP TABLE visit_limit_locks;
DROP TABLE visit_request_changes;
