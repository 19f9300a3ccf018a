-- sql/migrations/003_events.sql - schema version 2 -> 3: refusals and who
-- asked (oracle/store/events.c), one row per minute, client, registrable domain and
-- reason, with a count.
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

INSERT IGNORE INTO schema_version (version, applied_at) VALUES (3, UTC_TIMESTAMP());
