-- District supervision: property companies, which company runs each
-- community (with history), the versioned assessment scheme, inspections
-- and their photos, incidents, rectification orders, published months (a
-- frozen copy of the results) and the hours each gate's agent reported in
-- (gate availability). Times are Unix microseconds; months YYYY-MM and days
-- YYYY-MM-DD are the community's local ones. The credit code is compared
-- for equality, so it is VARBINARY (see 00007).

-- +goose Up
CREATE TABLE companies (
    id          BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(100)  NOT NULL,
    credit_code VARBINARY(18) NOT NULL,
    contact     VARCHAR(100)  NOT NULL DEFAULT '',
    created_at  BIGINT        NOT NULL,
    updated_at  BIGINT        NOT NULL,
    UNIQUE KEY companies_credit_code (credit_code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE community_assignments (
    id                 BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id       BIGINT       NOT NULL,
    company_id         BIGINT       NOT NULL,
    street             VARCHAR(100) NOT NULL DEFAULT '',
    declared_dwellings INT          NOT NULL DEFAULT 0,
    from_at            BIGINT       NOT NULL,
    created_by         BIGINT       NOT NULL,
    created_at         BIGINT       NOT NULL,
    KEY community_assignments_community (community_id, from_at),
    CONSTRAINT community_assignments_community FOREIGN KEY (community_id) REFERENCES communities (id),
    CONSTRAINT community_assignments_company FOREIGN KEY (company_id) REFERENCES companies (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE supervision_schemes (
    version        INT        NOT NULL PRIMARY KEY,
    effective_from VARCHAR(7) NOT NULL,
    body           MEDIUMTEXT NOT NULL,
    created_by     BIGINT     NOT NULL,
    created_at     BIGINT     NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE inspections (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT        NOT NULL,
    day          VARCHAR(10)   NOT NULL,
    month        VARCHAR(7)    NOT NULL,
    inspector    VARCHAR(100)  NOT NULL,
    items_met    VARCHAR(2100) NOT NULL DEFAULT '',
    notes        VARCHAR(1000) NOT NULL DEFAULT '',
    photos       INT           NOT NULL DEFAULT 0,
    created_by   BIGINT        NOT NULL,
    created_role VARCHAR(16)   NOT NULL,
    created_at   BIGINT        NOT NULL,
    KEY inspections_month (month, community_id),
    CONSTRAINT inspections_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE inspection_photos (
    inspection_id BIGINT      NOT NULL,
    n             INT         NOT NULL,
    content_type  VARCHAR(32) NOT NULL,
    data          MEDIUMBLOB  NOT NULL,
    PRIMARY KEY (inspection_id, n),
    CONSTRAINT inspection_photos_inspection FOREIGN KEY (inspection_id) REFERENCES inspections (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE incidents (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT       NOT NULL,
    day          VARCHAR(10)  NOT NULL,
    month        VARCHAR(7)   NOT NULL,
    category     VARCHAR(40)  NOT NULL,
    case_ref     VARCHAR(100) NOT NULL,
    created_by   BIGINT       NOT NULL,
    created_at   BIGINT       NOT NULL,
    KEY incidents_month (month, community_id),
    CONSTRAINT incidents_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE rectifications (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    community_id BIGINT        NOT NULL,
    company_id   BIGINT        NOT NULL DEFAULT 0,
    month        VARCHAR(7)    NOT NULL,
    reason       VARCHAR(500)  NOT NULL DEFAULT '',
    deadline     BIGINT        NOT NULL,
    status       VARCHAR(16)   NOT NULL,
    answer       VARCHAR(2000) NOT NULL DEFAULT '',
    answered_at  BIGINT        NULL,
    note         VARCHAR(1000) NOT NULL DEFAULT '',
    closed_at    BIGINT        NULL,
    created_by   BIGINT        NOT NULL,
    created_at   BIGINT        NOT NULL,
    updated_at   BIGINT        NOT NULL,
    KEY rectifications_community (community_id, month),
    KEY rectifications_status (status, deadline),
    CONSTRAINT rectifications_community FOREIGN KEY (community_id) REFERENCES communities (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE supervision_publications (
    month        VARCHAR(7)   NOT NULL,
    version      INT          NOT NULL,
    reason       VARCHAR(500) NOT NULL DEFAULT '',
    published_at BIGINT       NOT NULL,
    published_by BIGINT       NOT NULL,
    body         LONGTEXT     NOT NULL,
    PRIMARY KEY (month, version)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE gate_hours (
    gate_id      BIGINT NOT NULL,
    hour         BIGINT NOT NULL,
    community_id BIGINT NOT NULL,
    PRIMARY KEY (gate_id, hour),
    KEY gate_hours_community (community_id, hour)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

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
