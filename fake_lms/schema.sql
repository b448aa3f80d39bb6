-- The fake LMS's durable store: one SQLite file, WAL, shared by every mount.
CREATE TABLE IF NOT EXISTS mounts (
    name TEXT PRIMARY KEY,
    mode TEXT NOT NULL DEFAULT 'enforce',
    quirks TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL,
    xapi_version TEXT NOT NULL DEFAULT '1.0.3'  -- the xAPI version the mount answers as
);
CREATE TABLE IF NOT EXISTS credentials (
    username TEXT NOT NULL,
    secret TEXT NOT NULL,
    mount TEXT NOT NULL DEFAULT '',  -- '': every mount (API keys from `serve --api-key`)
    kind TEXT NOT NULL,        -- 'api-key'
    created TEXT NOT NULL,
    PRIMARY KEY (username, secret, mount)
);
CREATE TABLE IF NOT EXISTS statements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order; stored_us never falls as seq rises
    mount TEXT NOT NULL,
    id TEXT NOT NULL,
    stored_us INTEGER NOT NULL,
    ref_id TEXT,               -- target id when the object is a StatementRef
    registration TEXT,
    is_voiding INTEGER NOT NULL DEFAULT 0,
    voided INTEGER NOT NULL DEFAULT 0,
    statement BLOB NOT NULL,   -- the statement as stored (with id, stored, authority, version),
                               -- packed JSON (statement_store.dump; TEXT JSON before schema 5)
    added TEXT NOT NULL,       -- properties the LRS added (comma-separated), to compare on id reuse
    UNIQUE (mount, id)
);
CREATE INDEX IF NOT EXISTS statements_ref ON statements (mount, ref_id) WHERE ref_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS statements_stored ON statements (mount, stored_us);
-- What the GET filters select on (xAPI-C §2.1.3), as integer keys: mount, kind and value
-- (kinds: v verb, a agent as actor/object, A any agent, o object activity, O any activity,
-- r registration, m every statement of the mount; see statement_store).
CREATE TABLE IF NOT EXISTS index_keys (
    kid INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
);
-- One row per statement and key. src: 0 for the statement's own keys, else the seq of the
-- statement it references by StatementRef (directly or through others) that carries the key.
CREATE TABLE IF NOT EXISTS statement_index (
    kid INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    src INTEGER NOT NULL,
    PRIMARY KEY (kid, seq, src)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attachments (
    sha2 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS activities (
    mount TEXT NOT NULL,
    id TEXT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (mount, id)
);
CREATE TABLE IF NOT EXISTS agents (
    mount TEXT NOT NULL,
    ifi TEXT NOT NULL,
    agent TEXT NOT NULL,
    PRIMARY KEY (mount, ifi)
);
CREATE TABLE IF NOT EXISTS documents (
    mount TEXT NOT NULL,
    kind TEXT NOT NULL,        -- 'state', 'agent-profile', 'activity-profile'
    activity_id TEXT NOT NULL DEFAULT '',
    agent_ifi TEXT NOT NULL DEFAULT '',
    registration TEXT NOT NULL DEFAULT '',
    doc_id TEXT NOT NULL,
    content BLOB NOT NULL,
    content_type TEXT NOT NULL,
    etag TEXT NOT NULL,
    updated_us INTEGER NOT NULL,
    PRIMARY KEY (mount, kind, activity_id, agent_ifi, registration, doc_id)
);
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
    principal TEXT NOT NULL DEFAULT '',  -- 'api-key:USER', 'token:SESSION' or '' (none)
    -- request/response headers and bodies and verdicts, zlib-packed (journal.pack); the five
    -- text columns above are then '' (they hold the fields of entries from before schema 5)
    packed BLOB
);
CREATE INDEX IF NOT EXISTS journal_mount ON journal (mount, seq);
-- cmi5: courses, AUs, registrations and sessions (cmi5 §8-§10).
CREATE TABLE IF NOT EXISTS courses (
    id TEXT PRIMARY KEY,           -- LMS course id
    publisher_id TEXT NOT NULL,    -- the course id of the course structure
    lms_activity_id TEXT NOT NULL, -- LMS-generated id of the course activity (satisfied object)
    structure TEXT NOT NULL,       -- the course structure as JSON
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
    course_id TEXT NOT NULL,
    publisher_id TEXT NOT NULL,
    lms_activity_id TEXT NOT NULL,
    members TEXT NOT NULL,         -- JSON list of member AU ids and block publisher ids
    PRIMARY KEY (course_id, publisher_id)
);
CREATE TABLE IF NOT EXISTS aus (
    id TEXT PRIMARY KEY,           -- LMS AU id
    course_id TEXT NOT NULL,
    position INTEGER NOT NULL,     -- 0-based index in the course, depth first
    publisher_id TEXT NOT NULL,
    activity_id TEXT NOT NULL UNIQUE,  -- the launch activityId the LMS generated (8.1.5.0-1)
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    move_on TEXT NOT NULL,
    mastery_score REAL,
    launch_method TEXT NOT NULL,
    launch_parameters TEXT,
    entitlement_key TEXT
);
CREATE INDEX IF NOT EXISTS aus_course ON aus (course_id, position);
CREATE TABLE IF NOT EXISTS registrations (
    id TEXT PRIMARY KEY,
    course_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS au_progress (
    registration TEXT NOT NULL,
    au_id TEXT NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    passed INTEGER NOT NULL DEFAULT 0,
    waived INTEGER NOT NULL DEFAULT 0,
    satisfied INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (registration, au_id)
);
CREATE TABLE IF NOT EXISTS satisfied (
    registration TEXT NOT NULL,
    target TEXT NOT NULL,          -- block publisher id or course id
    PRIMARY KEY (registration, target)
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    registration TEXT NOT NULL,
    au_id TEXT NOT NULL,
    mount TEXT NOT NULL,
    actor TEXT NOT NULL,
    launch_mode TEXT NOT NULL,
    mastery_score REAL,
    move_on TEXT NOT NULL,
    context_template TEXT NOT NULL,
    state TEXT NOT NULL,           -- launched, initialized, terminated, abandoned
    prefs_fetched INTEGER NOT NULL DEFAULT 0,
    launch_data_fetched INTEGER NOT NULL DEFAULT 0,
    verbs TEXT NOT NULL DEFAULT '[]',
    fetch_id TEXT NOT NULL UNIQUE,
    fetch_calls INTEGER NOT NULL DEFAULT 0,
    token TEXT NOT NULL UNIQUE,
    token_fetched INTEGER NOT NULL DEFAULT 0,
    launch_url TEXT NOT NULL,
    profile TEXT NOT NULL,
    return_url TEXT,
    launched_us INTEGER NOT NULL,
    last_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_registration ON sessions (registration, state);
CREATE TABLE IF NOT EXISTS package_files (
    course_id TEXT NOT NULL,
    path TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (course_id, path)
);
