-- The statement tables as schema version 4 wrote them (before statement_index), for the
-- upgrade test; the other tables were as in schema 5.
CREATE TABLE IF NOT EXISTS statements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mount TEXT NOT NULL,
    id TEXT NOT NULL,
    stored_us INTEGER NOT NULL,
    verb_id TEXT NOT NULL,
    object_id TEXT,            -- activity id when the object is an Activity
    ref_id TEXT,               -- target id when the object is a StatementRef
    registration TEXT,
    is_voiding INTEGER NOT NULL DEFAULT 0,
    voided INTEGER NOT NULL DEFAULT 0,
    statement TEXT NOT NULL,   -- the statement as stored (with id, stored, authority, version)
    added TEXT NOT NULL,       -- properties the LRS added (comma-separated), to compare on id reuse
    UNIQUE (mount, id)
);
CREATE INDEX IF NOT EXISTS statements_verb ON statements (mount, verb_id, seq);
CREATE INDEX IF NOT EXISTS statements_object ON statements (mount, object_id, seq);
CREATE INDEX IF NOT EXISTS statements_registration ON statements (mount, registration, seq);
CREATE INDEX IF NOT EXISTS statements_ref ON statements (mount, ref_id);
CREATE INDEX IF NOT EXISTS statements_stored ON statements (mount, stored_us);
CREATE TABLE IF NOT EXISTS statement_agents (
    seq INTEGER NOT NULL,
    ifi TEXT NOT NULL,
    direct INTEGER NOT NULL    -- 1: actor or object; 0: only related (authority, context, sub-statement)
);
CREATE INDEX IF NOT EXISTS statement_agents_ifi ON statement_agents (ifi, direct, seq);
CREATE TABLE IF NOT EXISTS statement_activities (
    seq INTEGER NOT NULL,
    activity_id TEXT NOT NULL,
    direct INTEGER NOT NULL    -- 1: the object; 0: context activities or sub-statement
);
CREATE INDEX IF NOT EXISTS statement_activities_id ON statement_activities (activity_id, direct, seq);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mount TEXT NOT NULL,
    at TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body TEXT NOT NULL,
    status INTEGER NOT NULL,
    response_headers TEXT NOT NULL,
    response_body TEXT NOT NULL,
    verdicts TEXT NOT NULL,
    duration_ms REAL NOT NULL,
    principal TEXT NOT NULL DEFAULT ''  -- 'api-key:USER', 'token:SESSION' or '' (none)
);
