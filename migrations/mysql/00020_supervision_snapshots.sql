-- District supervision, kept once computed.
--
-- supervision_snapshots: a community's computed month (its indicators,
-- points, score, grade and card, as JSON: counts and rates, no person), kept
-- once the month is settled (its visitors' follow-up time has passed), so
-- that a month's district table and a scorecard read the months before from
-- here instead of recomputing them from the entry log.
--
-- supervision_changes: when something that a computed month reads changed
-- for a community (an entry uploaded late, an inspection, an incident, an
-- assignment, the community's settings): a snapshot computed from before
-- that moment is not used.

-- +goose Up
CREATE TABLE supervision_snapshots (
    month         CHAR(7)    NOT NULL, -- YYYY-MM in the community's time zone
    community_id  BIGINT     NOT NULL,
    computed_from BIGINT     NOT NULL, -- the data read were those of this moment or later
    body          MEDIUMTEXT NOT NULL,
    PRIMARY KEY (month, community_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE supervision_changes (
    community_id BIGINT NOT NULL PRIMARY KEY,
    changed_at   BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE supervision_changes;
DROP TABLE supervision_snapshots;
