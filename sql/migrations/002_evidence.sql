-- sql/migrations/002_evidence.sql - schema version 1 -> 2: the domain layer's
-- evidence, shared by the oracles on one database (oracle/store/droplist.c).
CREATE TABLE IF NOT EXISTS evidence (
    registrable VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    instance    VARCHAR(64) NOT NULL,
    updated_at  DATETIME NOT NULL,
    names       DOUBLE NOT NULL,
    flagged     DOUBLE NOT NULL,
    strong      DOUBLE NOT NULL,
    weak        DOUBLE NOT NULL,
    bits        DOUBLE NOT NULL,
    odd         DOUBLE NOT NULL,
    repeats     DOUBLE NOT NULL,
    clients     SMALLINT UNSIGNED NOT NULL,
    days        SMALLINT UNSIGNED NOT NULL,
    PRIMARY KEY (registrable, instance),
    KEY by_age (updated_at)
) ENGINE = InnoDB;

INSERT IGNORE INTO schema_version (version, applied_at) VALUES (2, UTC_TIMESTAMP());
