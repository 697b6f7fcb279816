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
-- Plates, serials and token hashes are compared for equality, so they are
-- VARBINARY (see 00007); presence subjects grow to hold a plate (c + plate).

-- +goose Up
CREATE TABLE vehicles (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT        NOT NULL,
    resident_id  BIGINT        NOT NULL,
    plate        VARBINARY(48) NOT NULL,
    plate_color  VARCHAR(16)   NOT NULL DEFAULT '',
    label        VARCHAR(64)   NOT NULL DEFAULT '',
    valid_until  BIGINT        NULL,
    active       TINYINT       NULL DEFAULT 1,
    created_by   BIGINT        NOT NULL,
    created_at   BIGINT        NOT NULL,
    deleted_at   BIGINT        NULL,
    deleted_by   BIGINT        NULL,
    UNIQUE KEY vehicles_plate (community_id, plate, active),
    KEY vehicles_resident (resident_id),
    CONSTRAINT vehicles_community FOREIGN KEY (community_id) REFERENCES communities (id),
    CONSTRAINT vehicles_resident FOREIGN KEY (resident_id) REFERENCES residents (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

ALTER TABLE gates
    ADD COLUMN kind              VARCHAR(16)   NOT NULL DEFAULT 'pedestrian',
    ADD COLUMN camera_vendor     VARCHAR(32)   NOT NULL DEFAULT '',
    ADD COLUMN camera_serial     VARBINARY(64) NOT NULL DEFAULT '',
    ADD COLUMN camera_lane       VARCHAR(8)    NOT NULL DEFAULT 'in',
    ADD COLUMN camera_token_hash VARBINARY(64) NULL,
    ADD UNIQUE KEY gates_camera_token (camera_token_hash);

ALTER TABLE communities ADD COLUMN plate_min_confidence INT NOT NULL DEFAULT 80;

ALTER TABLE passes ADD KEY passes_plate (community_id, visitor_plate);

ALTER TABLE presence MODIFY subject VARBINARY(48) NOT NULL;

CREATE TABLE watched_plates (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT        NOT NULL,
    plate        VARBINARY(48) NOT NULL,
    reason       VARCHAR(400)  NOT NULL,
    created_by   BIGINT        NOT NULL,
    created_at   BIGINT        NOT NULL,
    UNIQUE KEY watched_plates_plate (community_id, plate),
    CONSTRAINT watched_plates_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE plate_admissions (
    id               BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id     BIGINT        NOT NULL,
    gate_id          BIGINT        NOT NULL,
    plate            VARBINARY(48) NOT NULL,
    host_resident_id BIGINT        NOT NULL,
    purpose          VARCHAR(200)  NOT NULL DEFAULT '',
    guard_id         BIGINT        NOT NULL,
    created_at       BIGINT        NOT NULL,
    valid_until      BIGINT        NOT NULL,
    entry_id         BIGINT        NULL,
    KEY plate_admissions_plate (community_id, plate, valid_until),
    CONSTRAINT plate_admissions_community FOREIGN KEY (community_id) REFERENCES communities (id),
    CONSTRAINT plate_admissions_gate FOREIGN KEY (gate_id) REFERENCES gates (id),
    CONSTRAINT plate_admissions_host FOREIGN KEY (host_resident_id) REFERENCES residents (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE plate_admissions;
DROP TABLE watched_plates;
ALTER TABLE presence MODIFY subject VARBINARY(24) NOT NULL;
ALTER TABLE passes DROP KEY passes_plate;
ALTER TABLE communities DROP COLUMN plate_min_confidence;
ALTER TABLE gates
    DROP KEY gates_camera_token,
    DROP COLUMN camera_token_hash,
    DROP COLUMN camera_lane,
    DROP COLUMN camera_serial,
    DROP COLUMN camera_vendor,
    DROP COLUMN kind;
DROP TABLE vehicles;
