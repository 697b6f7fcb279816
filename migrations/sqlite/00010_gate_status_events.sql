-- What gates' agents report: the latest heartbeat of each gate (its agent and
-- its controller board), and door events that are not a person's entry (the
-- exit button, a door forced open), each logged once by (gate, event_id).
-- Times are Unix microseconds; durations milliseconds.

-- +goose Up
CREATE TABLE gate_status (
    gate_id              INTEGER PRIMARY KEY REFERENCES gates (id),
    community_id         INTEGER NOT NULL REFERENCES communities (id),
    seen_at              BIGINT  NOT NULL, -- the server's time of the last heartbeat
    interval_ms          BIGINT  NOT NULL,
    version              TEXT    NOT NULL DEFAULT '',
    last_sync_at         BIGINT  NULL,
    pending              INTEGER NOT NULL DEFAULT 0,
    controller_kind      TEXT    NOT NULL DEFAULT '', -- '': no controller board
    controller_device_id BIGINT  NOT NULL DEFAULT 0,
    controller_online    INTEGER NOT NULL DEFAULT 0,
    controller_seen_at   BIGINT  NULL,
    last_event_index     BIGINT  NOT NULL DEFAULT 0,
    door_open            INTEGER NOT NULL DEFAULT 0,
    clock_drift_ms       BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX gate_status_community ON gate_status (community_id);

CREATE TABLE gate_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    gate_id      INTEGER NOT NULL REFERENCES gates (id),
    event_id     TEXT    NOT NULL,
    kind         TEXT    NOT NULL, -- door_button or door_forced
    door         INTEGER NOT NULL,
    occurred_at  BIGINT  NOT NULL,
    received_at  BIGINT  NOT NULL
);
CREATE UNIQUE INDEX gate_events_event ON gate_events (gate_id, event_id);
CREATE INDEX gate_events_community ON gate_events (community_id, id);

-- +goose Down
DROP TABLE gate_events;
DROP TABLE gate_status;
