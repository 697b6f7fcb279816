-- What gates' agents report: the latest heartbeat of each gate (its agent and
-- its controller board), and door events that are not a person's entry (the
-- exit button, a door forced open), each logged once by (gate, event_id).
-- Times are Unix microseconds; durations milliseconds. event_id is compared
-- for equality, so it is VARBINARY (see 00007).

-- +goose Up
CREATE TABLE gate_status (
    gate_id              BIGINT       NOT NULL PRIMARY KEY,
    community_id         BIGINT       NOT NULL,
    seen_at              BIGINT       NOT NULL,
    interval_ms          BIGINT       NOT NULL,
    version              VARCHAR(64)  NOT NULL DEFAULT '',
    last_sync_at         BIGINT       NULL,
    pending              INT          NOT NULL DEFAULT 0,
    controller_kind      VARCHAR(16)  NOT NULL DEFAULT '',
    controller_device_id BIGINT       NOT NULL DEFAULT 0,
    controller_online    TINYINT      NOT NULL DEFAULT 0,
    controller_seen_at   BIGINT       NULL,
    last_event_index     BIGINT       NOT NULL DEFAULT 0,
    door_open            TINYINT      NOT NULL DEFAULT 0,
    clock_drift_ms       BIGINT       NOT NULL DEFAULT 0,
    KEY gate_status_community (community_id),
    CONSTRAINT gate_status_gate FOREIGN KEY (gate_id) REFERENCES gates (id),
    CONSTRAINT gate_status_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE gate_events (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT        NOT NULL,
    gate_id      BIGINT        NOT NULL,
    event_id     VARBINARY(64) NOT NULL,
    kind         VARCHAR(16)   NOT NULL,
    door         INT           NOT NULL,
    occurred_at  BIGINT        NOT NULL,
    received_at  BIGINT        NOT NULL,
    UNIQUE KEY gate_events_event (gate_id, event_id),
    KEY gate_events_community (community_id, id),
    CONSTRAINT gate_events_community FOREIGN KEY (community_id) REFERENCES communities (id),
    CONSTRAINT gate_events_gate FOREIGN KEY (gate_id) REFERENCES gates (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE gate_events;
DROP TABLE gate_status;
