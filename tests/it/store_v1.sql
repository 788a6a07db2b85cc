-- A results store at schema version 1 (as nhiscan 0.1 wrote it), with one run and one
-- credential: tests/it/store.rs checks that it is migrated with its data. Portable SQL.
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    started BIGINT NOT NULL,
    finished BIGINT,
    shard_count BIGINT,
    engine_version TEXT NOT NULL,
    rules_hash TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    seq BIGINT,
    meta TEXT NOT NULL
);
CREATE TABLE run_shards (
    run TEXT NOT NULL,
    shard_index BIGINT NOT NULL,
    status TEXT NOT NULL,
    plan_key TEXT NOT NULL,
    started BIGINT NOT NULL,
    finished BIGINT,
    expected TEXT NOT NULL,
    meta TEXT NOT NULL,
    PRIMARY KEY (run, shard_index)
);
CREATE TABLE run_repos (
    run TEXT NOT NULL,
    repo TEXT NOT NULL,
    shard_index BIGINT NOT NULL,
    tip TEXT,
    root_commit TEXT,
    scope TEXT NOT NULL,
    coverage TEXT NOT NULL,
    reasons TEXT NOT NULL,
    files BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    findings BIGINT NOT NULL,
    recorded BIGINT NOT NULL,
    PRIMARY KEY (run, repo)
);
CREATE TABLE run_findings (
    run TEXT NOT NULL,
    repo TEXT NOT NULL,
    seqno BIGINT NOT NULL,
    occurrence TEXT NOT NULL,
    credential TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    path TEXT NOT NULL,
    commit_id TEXT,
    blob TEXT,
    line BIGINT NOT NULL,
    image TEXT NOT NULL,
    layer TEXT NOT NULL,
    location_fp TEXT NOT NULL,
    finding TEXT NOT NULL,
    secret TEXT,
    PRIMARY KEY (run, repo, seqno)
);
CREATE INDEX run_findings_occurrence ON run_findings (run, occurrence);
CREATE TABLE credentials (
    fingerprint TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    secret TEXT,
    first_seen BIGINT NOT NULL,
    first_run TEXT NOT NULL,
    last_seen BIGINT NOT NULL,
    last_run TEXT NOT NULL,
    status TEXT NOT NULL,
    fixed_run TEXT
);
CREATE TABLE occurrences (
    id TEXT PRIMARY KEY,
    credential TEXT NOT NULL,
    repo TEXT NOT NULL,
    path TEXT NOT NULL,
    commit_id TEXT,
    blob TEXT,
    line BIGINT NOT NULL,
    image TEXT NOT NULL,
    layer TEXT NOT NULL,
    location_fp TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    first_run TEXT NOT NULL,
    last_seen BIGINT NOT NULL,
    last_run TEXT NOT NULL,
    status TEXT NOT NULL,
    fixed_run TEXT,
    seen_scope TEXT NOT NULL,
    seen_version TEXT NOT NULL,
    seen_rules TEXT NOT NULL,
    finding TEXT NOT NULL
);
CREATE INDEX occurrences_repo ON occurrences (repo);
CREATE INDEX occurrences_credential ON occurrences (credential);
CREATE TABLE clean_blobs (
    engine TEXT NOT NULL,
    blob TEXT NOT NULL,
    PRIMARY KEY (engine, blob)
);

CREATE TABLE nhiscan_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO nhiscan_meta (key, value) VALUES ('schema_version', '1');
INSERT INTO runs VALUES ('r1', 1700000000, 1700000100, NULL, '0.1.0', 'rules-v1', 'settings', 'tree,history', 'complete', 1, '{}');
INSERT INTO run_shards VALUES ('r1', 0, 'complete', 'plan-r1', 1700000000, 1700000100, '["org/app"]', '{}');
INSERT INTO run_repos VALUES ('r1', 'org/app', 0, 'c0ffee', 'r00t', 'tree,history', 'complete', '[]', 3, 300, 1, 1700000050);
INSERT INTO run_findings VALUES ('r1', 'org/app', 0, 'occ1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'github-pat', 'secret', 'critical', 'app/.env', NULL, NULL, 2, '', '', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '{"rule_id":"github-pat","title":"GitHub personal access token","kind":"secret","severity":"critical","confidence":"high","context":"production","message":"GitHub personal access token","artifact":"app/.env","display":"app/.env","name":"app/.env","line":2,"column":14,"end_line":2,"end_column":54,"redacted":"ghp_abcd…","fingerprint":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","location_fingerprint":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","category":"secret"}', NULL);
INSERT INTO credentials VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'github-pat', 'secret', 'critical', NULL, 1700000000, 'r1', 1700000000, 'r1', 'open', NULL);
INSERT INTO occurrences VALUES ('occ1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'org/app', 'app/.env', NULL, NULL, 2, '', '', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 1700000000, 'r1', 1700000000, 'r1', 'open', NULL, 'tree,history', '0.1.0', 'rules-v1', '{"rule_id":"github-pat","title":"GitHub personal access token","kind":"secret","severity":"critical","confidence":"high","context":"production","message":"GitHub personal access token","artifact":"app/.env","display":"app/.env","name":"app/.env","line":2,"column":14,"end_line":2,"end_column":54,"redacted":"ghp_abcd…","fingerprint":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","location_fingerprint":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","category":"secret"}');
