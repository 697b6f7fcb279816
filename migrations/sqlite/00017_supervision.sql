-- District supervision: property companies, which company runs each
-- community (with history), the versioned assessment scheme, inspections
-- and their photos, incidents, rectification orders, published months (a
-- frozen copy of the results) and the hours each gate's agent reported in
-- (gate availability). Times are Unix microseconds; months YYYY-MM and days
-- YYYY-MM-DD are the community's local ones.

-- +goose Up
CREATE TABLE companies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    credit_code TEXT    NOT NULL,
    contact     TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE UNIQUE INDEX companies_credit_code ON companies (credit_code);

CREATE TABLE community_assignments (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id       INTEGER NOT NULL REFERENCES communities (id),
    company_id         INTEGER NOT NULL REFERENCES companies (id),
    street             TEXT    NOT NULL DEFAULT '',
    declared_dwellings INTEGER NOT NULL DEFAULT 0,
    from_at            BIGINT  NOT NULL,
    created_by         INTEGER NOT NULL,
    created_at         BIGINT  NOT NULL
);
CREATE INDEX community_assignments_community ON community_assignments (community_id, from_at);

CREATE TABLE supervision_schemes (
    version        INTEGER PRIMARY KEY,
    effective_from TEXT    NOT NULL,
    body           TEXT    NOT NULL, -- the scheme as JSON
    created_by     INTEGER NOT NULL,
    created_at     BIGINT  NOT NULL
);

CREATE TABLE inspections (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    day          TEXT    NOT NULL,
    month        TEXT    NOT NULL,
    inspector    TEXT    NOT NULL,
    items_met    TEXT    NOT NULL DEFAULT '', -- checklist keys, comma-separated
    notes        TEXT    NOT NULL DEFAULT '',
    photos       INTEGER NOT NULL DEFAULT 0,
    created_by   INTEGER NOT NULL,
    created_role TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX inspections_month ON inspections (month, community_id);

CREATE TABLE inspection_photos (
    inspection_id INTEGER NOT NULL REFERENCES inspections (id),
    n             INTEGER NOT NULL,
    content_type  TEXT    NOT NULL,
    data          BLOB    NOT NULL,
    PRIMARY KEY (inspection_id, n)
);

CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    day          TEXT    NOT NULL,
    month        TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    case_ref     TEXT    NOT NULL,
    created_by   INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX incidents_month ON incidents (month, community_id);

CREATE TABLE rectifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    company_id   INTEGER NOT NULL DEFAULT 0,
    month        TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    deadline     BIGINT  NOT NULL,
    status       TEXT    NOT NULL,
    answer       TEXT    NOT NULL DEFAULT '',
    answered_at  BIGINT  NULL,
    note         TEXT    NOT NULL DEFAULT '',
    closed_at    BIGINT  NULL,
    created_by   INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX rectifications_community ON rectifications (community_id, month);
CREATE INDEX rectifications_status ON rectifications (status, deadline);

CREATE TABLE supervision_publications (
    month        TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    published_at BIGINT  NOT NULL,
    published_by INTEGER NOT NULL,
    body         TEXT    NOT NULL, -- the month's results as published (JSON)
    PRIMARY KEY (month, version)
);

CREATE TABLE gate_hours (
    gate_id      INTEGER NOT NULL,
    hour         BIGINT  NOT NULL, -- Unix time / 3600 of an hour the gate's agent reported in, online
    community_id INTEGER NOT NULL,
    PRIMARY KEY (gate_id, hour)
);
CREATE INDEX gate_hours_community ON gate_hours (community_id, hour);

-- +goose Down
DROP TABLE gate_hours;
DROP TABLE supervision_publications;
DROP TABLE rectifications;
DROP TABLE incidents;
DROP TABLE inspection_photos;
DROP TABLE inspections;
DROP TABLE supervision_schemes;
DROP TABLE community_assignments;
DROP TABLE companies;
