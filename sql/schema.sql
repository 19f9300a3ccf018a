-- sql/schema.sql - the dnsoracle schema, current version (3).
--
-- Applied by sql/migrate.sh to the database named in [database] name
-- (default `dns`), which it creates. Every statement is idempotent: applying
-- the file to a database that has the schema changes nothing and loses
-- nothing. Later versions add sql/migrations/NNN_*.sql (see the README
-- there) and update this file to the newest schema.
--
-- Names and domains are ASCII (presentation form, case-folded), compared
-- byte for byte. Times are UTC.

CREATE TABLE IF NOT EXISTS schema_version (
    version    INT UNSIGNED NOT NULL PRIMARY KEY,
    applied_at DATETIME NOT NULL
) ENGINE = InnoDB;

-- Good names: every name the oracle answered `true` for on its merits (not
-- exemptions), stored whole (up to 253 bytes) with its registrable domain
-- from the Public Suffix List, for reporting. (Since version 2 the drop list
-- is decided from the evidence table, not from these.)
CREATE TABLE IF NOT EXISTS names (
    name        VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    registrable VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    first_seen  DATETIME NOT NULL,
    last_seen   DATETIME NOT NULL,
    PRIMARY KEY (name),
    KEY by_domain (registrable, last_seen),
    KEY by_age (last_seen)
) ENGINE = InnoDB;

-- The drop list (kind 'drop', added by the timer: `added_by` = 'auto'), the
-- block list and the allow list (kinds 'block' and 'allow', added by an
-- operator). `domain` is a registrable domain or any suffix; a name under it
-- on label boundaries is covered. An entry with `expires_at` in the past is
-- ignored and later deleted.
CREATE TABLE IF NOT EXISTS lists (
    kind       ENUM('drop', 'block', 'allow') NOT NULL,
    domain     VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    reason     VARCHAR(255) NOT NULL DEFAULT '',
    added_by   VARCHAR(64) NOT NULL,
    added_at   DATETIME NOT NULL,
    expires_at DATETIME NULL,
    PRIMARY KEY (kind, domain),
    KEY by_expiry (expires_at)
) ENGINE = InnoDB;

-- The domain layer's evidence per registrable domain, one row per oracle
-- (`instance`: its host and first endpoint), written every update_seconds:
-- decayed counts of distinct names, of those with evidence, strong, weak
-- (weighed), bits, odd query types, repeated queries, distinct clients, days
-- with traffic.
-- Every oracle decides on the sums over instances; rows older than two
-- windows are deleted.
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

-- Refusals and who asked (oracle/store/events.c): one row per minute, client
-- (`-` unknown or not kept, [events] client), registrable domain (`` for a
-- name that is not one) and reason, with the number of refusals, the first
-- and last time, and of one of them the query name, type, action (`refused`,
-- or `would-block` in monitor mode) and resolver host. Rows older than
-- [events] retention_days are deleted.
CREATE TABLE IF NOT EXISTS events (
    minute     DATETIME NOT NULL,
    client     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    domain     VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    reason     VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    count      INT UNSIGNED NOT NULL,
    first_seen DATETIME NOT NULL,
    last_seen  DATETIME NOT NULL,
    qname      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    qtype      SMALLINT UNSIGNED NOT NULL,
    action     ENUM('refused', 'would-block') NOT NULL,
    resolver   VARCHAR(64) NOT NULL,
    PRIMARY KEY (minute, client, domain, reason),
    KEY by_domain (domain, minute),
    KEY by_client (client, minute)
) ENGINE = InnoDB;

INSERT IGNORE INTO schema_version (version, applied_at) VALUES (1, UTC_TIMESTAMP()), (2, UTC_TIMESTAMP()),
    (3, UTC_TIMESTAMP());
