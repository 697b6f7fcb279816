-- Vehicle lanes: residents' vehicles, vehicle gates with a licence-plate
-- camera, watchlisted plates and guards' admissions of unknown plates.
--
-- vehicles: a plate is unique among the vehicles not deleted of a community
-- (active is 1 until deleted, NULL after, as for cards).
-- gates.kind: pedestrian or vehicle; camera_*: the camera registered to a
-- vehicle gate; camera_token_hash: SHA-256 of the secret in its push URL.
-- communities.plate_min_confidence: below it no read opens by itself.
-- plate_admissions: a guard's one-tap admission of a plate (host, purpose);
-- the next read of the plate at a vehicle gate of the community uses it.

-- +goose Up
CREATE TABLE vehicles (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id  INTEGER NOT NULL REFERENCES residents (id),
    plate        TEXT    NOT NULL,
    plate_color  TEXT    NOT NULL DEFAULT '',
    label        TEXT    NOT NULL DEFAULT '',
    valid_until  BIGINT  NULL,
    active       INTEGER NULL DEFAULT 1,
    created_by   INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL,
    deleted_at   BIGINT  NULL,
    deleted_by   INTEGER NULL
);
CREATE UNIQUE INDEX vehicles_plate ON vehicles (community_id, plate, active);
CREATE INDEX vehicles_resident ON vehicles (resident_id);

ALTER TABLE gates ADD COLUMN kind TEXT NOT NULL DEFAULT 'pedestrian';
ALTER TABLE gates ADD COLUMN camera_vendor TEXT NOT NULL DEFAULT '';
ALTER TABLE gates ADD COLUMN camera_serial TEXT NOT NULL DEFAULT '';
ALTER TABLE gates ADD COLUMN camera_lane TEXT NOT NULL DEFAULT 'in';
ALTER TABLE gates ADD COLUMN camera_token_hash TEXT NULL;
CREATE UNIQUE INDEX gates_camera_token ON gates (camera_token_hash);

ALTER TABLE communities ADD COLUMN plate_min_confidence INTEGER NOT NULL DEFAULT 80;

CREATE INDEX passes_plate ON passes (community_id, visitor_plate);

CREATE TABLE watched_plates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    plate        TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    created_by   INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX watched_plates_plate ON watched_plates (community_id, plate);

CREATE TABLE plate_admissions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id     INTEGER NOT NULL REFERENCES communities (id),
    gate_id          INTEGER NOT NULL REFERENCES gates (id),
    plate            TEXT    NOT NULL,
    host_resident_id INTEGER NOT NULL REFERENCES residents (id),
    purpose          TEXT    NOT NULL DEFAULT '',
    guard_id         INTEGER NOT NULL,
    created_at       BIGINT  NOT NULL,
    valid_until      BIGINT  NOT NULL,
    entry_id         INTEGER NULL
);
CREATE INDEX plate_admissions_plate ON plate_admissions (community_id, plate, valid_until);

-- +goose Down
DROP TABLE plate_admissions;
DROP TABLE watched_plates;
DROP INDEX passes_plate;
ALTER TABLE communities DROP COLUMN plate_min_confidence;
DROP INDEX gates_camera_token;
ALTER TABLE gates DROP COLUMN camera_token_hash;
ALTER TABLE gates DROP COLUMN camera_lane;
ALTER TABLE gates DROP COLUMN camera_serial;
ALTER TABLE gates DROP COLUMN camera_vendor;
ALTER TABLE gates DROP COLUMN kind;
DROP TABLE vehicles;
