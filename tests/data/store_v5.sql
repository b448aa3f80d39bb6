-- A store as weare-harness wrote it at schema version 5 (sqlite3 iterdump; journal rows left
-- out), for the upgrade test: server-wide key old:old-server-secret, --mount legacy with
-- leg:legacy-mount-secret, mount 'made' with made:admin-made-secret from the admin API, and two
-- launched sessions, the first with its auth-token fetched. user_version is set by the test.
BEGIN TRANSACTION;
CREATE TABLE activities (
    mount TEXT NOT NULL,
    id TEXT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (mount, id)
);
INSERT INTO "activities" VALUES('default','http://127.0.0.1:38071/cmi5/courses/30d4e9d5-3d0e-4b25-ae72-1a5d3f4cd932','{"type":"https://w3id.org/xapi/cmi5/activitytype/course"}');
INSERT INTO "activities" VALUES('default','http://127.0.0.1:38071/cmi5/courses/a80eea50-4161-49dd-b76b-ec2e33123651','{"type":"https://w3id.org/xapi/cmi5/activitytype/course"}');
CREATE TABLE agents (
    mount TEXT NOT NULL,
    ifi TEXT NOT NULL,
    agent TEXT NOT NULL,
    PRIMARY KEY (mount, ifi)
);
INSERT INTO "agents" VALUES('default','account:http://127.0.0.1:38071|learner-1','{"account":{"homePage":"http://127.0.0.1:38071","name":"learner-1"},"objectType":"Agent"}');
CREATE TABLE attachments (
    sha2 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE au_progress (
    registration TEXT NOT NULL,
    au_id TEXT NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    passed INTEGER NOT NULL DEFAULT 0,
    waived INTEGER NOT NULL DEFAULT 0,
    satisfied INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (registration, au_id)
);
INSERT INTO "au_progress" VALUES('626a0676-41a9-415f-b429-b8b97fdf7fbc','d47e00bb-1b8d-4cba-8259-51c9b5f54558',0,0,0,1);
INSERT INTO "au_progress" VALUES('fbc8c914-264c-4e35-a59f-41e727fdd8d0','2fa24532-efcd-4741-b25e-ffdc977cc441',0,0,0,1);
CREATE TABLE aus (
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
INSERT INTO "aus" VALUES('d47e00bb-1b8d-4cba-8259-51c9b5f54558','30d4e9d5-3d0e-4b25-ae72-1a5d3f4cd932',0,'https://au.example.com/a.html#au','http://127.0.0.1:38071/cmi5/aus/d47e00bb-1b8d-4cba-8259-51c9b5f54558','https://au.example.com/a.html','https://au.example.com/a.html','NotApplicable',NULL,'AnyWindow',NULL,NULL);
INSERT INTO "aus" VALUES('2fa24532-efcd-4741-b25e-ffdc977cc441','a80eea50-4161-49dd-b76b-ec2e33123651',0,'https://au.example.com/b.html#au','http://127.0.0.1:38071/cmi5/aus/2fa24532-efcd-4741-b25e-ffdc977cc441','https://au.example.com/b.html','https://au.example.com/b.html','NotApplicable',NULL,'AnyWindow',NULL,NULL);
CREATE TABLE blocks (
    course_id TEXT NOT NULL,
    publisher_id TEXT NOT NULL,
    lms_activity_id TEXT NOT NULL,
    members TEXT NOT NULL,         -- JSON list of member AU ids and block publisher ids
    PRIMARY KEY (course_id, publisher_id)
);
CREATE TABLE courses (
    id TEXT PRIMARY KEY,           -- LMS course id
    publisher_id TEXT NOT NULL,    -- the course id of the course structure
    lms_activity_id TEXT NOT NULL, -- LMS-generated id of the course activity (satisfied object)
    structure TEXT NOT NULL,       -- the course structure as JSON
    created TEXT NOT NULL
);
INSERT INTO "courses" VALUES('30d4e9d5-3d0e-4b25-ae72-1a5d3f4cd932','https://au.example.com/a.html#au/course','http://127.0.0.1:38071/cmi5/courses/30d4e9d5-3d0e-4b25-ae72-1a5d3f4cd932','{"id": "https://au.example.com/a.html#au/course", "title": {"en-US": "https://au.example.com/a.html"}, "children": [{"type": "au", "id": "https://au.example.com/a.html#au", "title": {"en-US": "https://au.example.com/a.html"}, "url": "https://au.example.com/a.html"}]}','2026-12-07T05:21:29.100914+00:00');
INSERT INTO "courses" VALUES('a80eea50-4161-49dd-b76b-ec2e33123651','https://au.example.com/b.html#au/course','http://127.0.0.1:38071/cmi5/courses/a80eea50-4161-49dd-b76b-ec2e33123651','{"id": "https://au.example.com/b.html#au/course", "title": {"en-US": "https://au.example.com/b.html"}, "children": [{"type": "au", "id": "https://au.example.com/b.html#au", "title": {"en-US": "https://au.example.com/b.html"}, "url": "https://au.example.com/b.html"}]}','2026-12-07T05:21:29.270727+00:00');
CREATE TABLE credentials (
    username TEXT NOT NULL,
    secret TEXT NOT NULL,
    mount TEXT NOT NULL DEFAULT '',  -- '': every mount (API keys from `serve --api-key`)
    kind TEXT NOT NULL,        -- 'api-key'
    created TEXT NOT NULL,
    PRIMARY KEY (username, secret, mount)
);
INSERT INTO "credentials" VALUES('leg','legacy-mount-secret','legacy','api-key','2026-12-07T05:21:27.910570+00:00');
INSERT INTO "credentials" VALUES('old','old-server-secret','','api-key','2026-12-07T05:21:27.910669+00:00');
INSERT INTO "credentials" VALUES('made','admin-made-secret','made','api-key','2026-12-07T05:21:29.081570+00:00');
CREATE TABLE documents (
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
INSERT INTO "documents" VALUES('default','state','http://127.0.0.1:38071/cmi5/aus/d47e00bb-1b8d-4cba-8259-51c9b5f54558','account:http://127.0.0.1:38071|learner-1','626a0676-41a9-415f-b429-b8b97fdf7fbc','LMS.LaunchData',X'7B22636F6E7465787454656D706C617465223A207B22636F6E7465787441637469766974696573223A207B2267726F7570696E67223A205B7B226964223A202268747470733A2F2F61752E6578616D706C652E636F6D2F612E68746D6C236175227D5D7D2C2022657874656E73696F6E73223A207B2268747470733A2F2F773369642E6F72672F786170692F636D69352F636F6E746578742F657874656E73696F6E732F73657373696F6E6964223A202265633338376336632D396630322D343436322D393863652D316662613662333562303730227D7D2C20226C61756E63684D6F6465223A20224E6F726D616C222C20226D6F76654F6E223A20224E6F744170706C696361626C65227D','application/json','"2f1a66030a38a6c99df1e71f634cfd6361b76f03"',1796620889106000);
INSERT INTO "documents" VALUES('default','state','http://127.0.0.1:38071/cmi5/aus/2fa24532-efcd-4741-b25e-ffdc977cc441','account:http://127.0.0.1:38071|learner-1','fbc8c914-264c-4e35-a59f-41e727fdd8d0','LMS.LaunchData',X'7B22636F6E7465787454656D706C617465223A207B22636F6E7465787441637469766974696573223A207B2267726F7570696E67223A205B7B226964223A202268747470733A2F2F61752E6578616D706C652E636F6D2F622E68746D6C236175227D5D7D2C2022657874656E73696F6E73223A207B2268747470733A2F2F773369642E6F72672F786170692F636D69352F636F6E746578742F657874656E73696F6E732F73657373696F6E6964223A202230323231323563352D623131392D343464642D386162372D643064373934613339343330227D7D2C20226C61756E63684D6F6465223A20224E6F726D616C222C20226D6F76654F6E223A20224E6F744170706C696361626C65227D','application/json','"8ff97b0a93ed38df9ba58401fd8be4dcfe1f6de0"',1796620889271000);
CREATE TABLE index_keys (
    kid INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
);
INSERT INTO "index_keys" VALUES(1,'defaultOhttp://127.0.0.1:38071/cmi5/courses/30d4e9d5-3d0e-4b25-ae72-1a5d3f4cd932');
INSERT INTO "index_keys" VALUES(2,'defaultaaccount:http://127.0.0.1:38071|learner-1');
INSERT INTO "index_keys" VALUES(3,'defaultm');
INSERT INTO "index_keys" VALUES(4,'defaultOhttps://au.example.com/a.html#au/course');
INSERT INTO "index_keys" VALUES(5,'defaultAaccount:http://127.0.0.1:38071|learner-1');
INSERT INTO "index_keys" VALUES(6,'defaultAaccount:http://127.0.0.1:38071|weare-harness-lms');
INSERT INTO "index_keys" VALUES(7,'defaultOhttps://w3id.org/xapi/cmi5/context/categories/cmi5');
INSERT INTO "index_keys" VALUES(8,'defaultr626a0676-41a9-415f-b429-b8b97fdf7fbc');
INSERT INTO "index_keys" VALUES(9,'defaultvhttps://w3id.org/xapi/adl/verbs/satisfied');
INSERT INTO "index_keys" VALUES(10,'defaultohttp://127.0.0.1:38071/cmi5/courses/30d4e9d5-3d0e-4b25-ae72-1a5d3f4cd932');
INSERT INTO "index_keys" VALUES(11,'defaultOhttp://127.0.0.1:38071/cmi5/aus/d47e00bb-1b8d-4cba-8259-51c9b5f54558');
INSERT INTO "index_keys" VALUES(12,'defaultvhttp://adlnet.gov/expapi/verbs/launched');
INSERT INTO "index_keys" VALUES(13,'defaultOhttps://au.example.com/a.html#au');
INSERT INTO "index_keys" VALUES(14,'defaultohttp://127.0.0.1:38071/cmi5/aus/d47e00bb-1b8d-4cba-8259-51c9b5f54558');
INSERT INTO "index_keys" VALUES(15,'defaultohttp://127.0.0.1:38071/cmi5/courses/a80eea50-4161-49dd-b76b-ec2e33123651');
INSERT INTO "index_keys" VALUES(16,'defaultrfbc8c914-264c-4e35-a59f-41e727fdd8d0');
INSERT INTO "index_keys" VALUES(17,'defaultOhttp://127.0.0.1:38071/cmi5/courses/a80eea50-4161-49dd-b76b-ec2e33123651');
INSERT INTO "index_keys" VALUES(18,'defaultOhttps://au.example.com/b.html#au/course');
INSERT INTO "index_keys" VALUES(19,'defaultohttp://127.0.0.1:38071/cmi5/aus/2fa24532-efcd-4741-b25e-ffdc977cc441');
INSERT INTO "index_keys" VALUES(20,'defaultOhttps://au.example.com/b.html#au');
INSERT INTO "index_keys" VALUES(21,'defaultOhttp://127.0.0.1:38071/cmi5/aus/2fa24532-efcd-4741-b25e-ffdc977cc441');
CREATE TABLE journal (
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
CREATE TABLE mounts (
    name TEXT PRIMARY KEY,
    mode TEXT NOT NULL DEFAULT 'enforce',
    quirks TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL,
    xapi_version TEXT NOT NULL DEFAULT '1.0.3'  -- the xAPI version the mount answers as
);
INSERT INTO "mounts" VALUES('default','enforce','[]','2026-12-07T05:21:27.910195+00:00','1.0.3');
INSERT INTO "mounts" VALUES('legacy','enforce','[]','2026-12-07T05:21:27.910468+00:00','1.0.3');
INSERT INTO "mounts" VALUES('made','enforce','[]','2026-12-07T05:21:29.081478+00:00','1.0.3');
CREATE TABLE package_files (
    course_id TEXT NOT NULL,
    path TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (course_id, path)
);
CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    course_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    created TEXT NOT NULL
);
INSERT INTO "registrations" VALUES('626a0676-41a9-415f-b429-b8b97fdf7fbc','30d4e9d5-3d0e-4b25-ae72-1a5d3f4cd932','{"objectType": "Agent", "account": {"homePage": "http://127.0.0.1:38071", "name": "learner-1"}}','2026-12-07T05:21:29.106525+00:00');
INSERT INTO "registrations" VALUES('fbc8c914-264c-4e35-a59f-41e727fdd8d0','a80eea50-4161-49dd-b76b-ec2e33123651','{"objectType": "Agent", "account": {"homePage": "http://127.0.0.1:38071", "name": "learner-1"}}','2026-12-07T05:21:29.271503+00:00');
CREATE TABLE satisfied (
    registration TEXT NOT NULL,
    target TEXT NOT NULL,          -- block publisher id or course id
    PRIMARY KEY (registration, target)
);
INSERT INTO "satisfied" VALUES('626a0676-41a9-415f-b429-b8b97fdf7fbc','30d4e9d5-3d0e-4b25-ae72-1a5d3f4cd932');
INSERT INTO "satisfied" VALUES('fbc8c914-264c-4e35-a59f-41e727fdd8d0','a80eea50-4161-49dd-b76b-ec2e33123651');
CREATE TABLE sessions (
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
INSERT INTO "sessions" VALUES('ec387c6c-9f02-4462-98ce-1fba6b35b070','626a0676-41a9-415f-b429-b8b97fdf7fbc','d47e00bb-1b8d-4cba-8259-51c9b5f54558','default','{"objectType": "Agent", "account": {"homePage": "http://127.0.0.1:38071", "name": "learner-1"}}','Normal',NULL,'NotApplicable','{"contextActivities": {"grouping": [{"id": "https://au.example.com/a.html#au"}]}, "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "ec387c6c-9f02-4462-98ce-1fba6b35b070"}}','launched',1,1,'[]','j6e-LH04JeDT_dh1hAil98lE',1,'8edd27a7-ea48-44ad-a38f-2c2403604410',1,'https://au.example.com/a.html?endpoint=http%3A%2F%2F127.0.0.1%3A38071%2Fxapi%2Fdefault%2F&fetch=http%3A%2F%2F127.0.0.1%3A38071%2Ffetch%2Fj6e-LH04JeDT_dh1hAil98lE&actor=%7B%22objectType%22%3A%22Agent%22%2C%22account%22%3A%7B%22homePage%22%3A%22http%3A%2F%2F127.0.0.1%3A38071%22%2C%22name%22%3A%22learner-1%22%7D%7D&registration=626a0676-41a9-415f-b429-b8b97fdf7fbc&activityId=http%3A%2F%2F127.0.0.1%3A38071%2Fcmi5%2Faus%2Fd47e00bb-1b8d-4cba-8259-51c9b5f54558','cmi5',NULL,1796620889106000,1796620889160062);
INSERT INTO "sessions" VALUES('022125c5-b119-44dd-8ab7-d0d794a39430','fbc8c914-264c-4e35-a59f-41e727fdd8d0','2fa24532-efcd-4741-b25e-ffdc977cc441','default','{"objectType": "Agent", "account": {"homePage": "http://127.0.0.1:38071", "name": "learner-1"}}','Normal',NULL,'NotApplicable','{"contextActivities": {"grouping": [{"id": "https://au.example.com/b.html#au"}]}, "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "022125c5-b119-44dd-8ab7-d0d794a39430"}}','launched',0,0,'[]','tdJLsOpZu8OF4ogK6b5sgQrL',0,'d9f56f47-a4ec-421d-8f9e-33f2fb02dd9f',0,'https://au.example.com/b.html?endpoint=http%3A%2F%2F127.0.0.1%3A38071%2Fxapi%2Fdefault%2F&fetch=http%3A%2F%2F127.0.0.1%3A38071%2Ffetch%2FtdJLsOpZu8OF4ogK6b5sgQrL&actor=%7B%22objectType%22%3A%22Agent%22%2C%22account%22%3A%7B%22homePage%22%3A%22http%3A%2F%2F127.0.0.1%3A38071%22%2C%22name%22%3A%22learner-1%22%7D%7D&registration=fbc8c914-264c-4e35-a59f-41e727fdd8d0&activityId=http%3A%2F%2F127.0.0.1%3A38071%2Fcmi5%2Faus%2F2fa24532-efcd-4741-b25e-ffdc977cc441','cmi5',NULL,1796620889271000,1796620889271000);
CREATE TABLE statement_index (
    kid INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    src INTEGER NOT NULL,
    PRIMARY KEY (kid, seq, src)
) WITHOUT ROWID;
INSERT INTO "statement_index" VALUES(1,1,0);
INSERT INTO "statement_index" VALUES(2,1,0);
INSERT INTO "statement_index" VALUES(2,2,0);
INSERT INTO "statement_index" VALUES(2,3,0);
INSERT INTO "statement_index" VALUES(2,4,0);
INSERT INTO "statement_index" VALUES(3,1,0);
INSERT INTO "statement_index" VALUES(3,2,0);
INSERT INTO "statement_index" VALUES(3,3,0);
INSERT INTO "statement_index" VALUES(3,4,0);
INSERT INTO "statement_index" VALUES(4,1,0);
INSERT INTO "statement_index" VALUES(5,1,0);
INSERT INTO "statement_index" VALUES(5,2,0);
INSERT INTO "statement_index" VALUES(5,3,0);
INSERT INTO "statement_index" VALUES(5,4,0);
INSERT INTO "statement_index" VALUES(6,1,0);
INSERT INTO "statement_index" VALUES(6,2,0);
INSERT INTO "statement_index" VALUES(6,3,0);
INSERT INTO "statement_index" VALUES(6,4,0);
INSERT INTO "statement_index" VALUES(7,1,0);
INSERT INTO "statement_index" VALUES(7,2,0);
INSERT INTO "statement_index" VALUES(7,3,0);
INSERT INTO "statement_index" VALUES(7,4,0);
INSERT INTO "statement_index" VALUES(8,1,0);
INSERT INTO "statement_index" VALUES(8,2,0);
INSERT INTO "statement_index" VALUES(9,1,0);
INSERT INTO "statement_index" VALUES(9,3,0);
INSERT INTO "statement_index" VALUES(10,1,0);
INSERT INTO "statement_index" VALUES(11,2,0);
INSERT INTO "statement_index" VALUES(12,2,0);
INSERT INTO "statement_index" VALUES(12,4,0);
INSERT INTO "statement_index" VALUES(13,2,0);
INSERT INTO "statement_index" VALUES(14,2,0);
INSERT INTO "statement_index" VALUES(15,3,0);
INSERT INTO "statement_index" VALUES(16,3,0);
INSERT INTO "statement_index" VALUES(16,4,0);
INSERT INTO "statement_index" VALUES(17,3,0);
INSERT INTO "statement_index" VALUES(18,3,0);
INSERT INTO "statement_index" VALUES(19,4,0);
INSERT INTO "statement_index" VALUES(20,4,0);
INSERT INTO "statement_index" VALUES(21,4,0);
CREATE TABLE statements (
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
INSERT INTO "statements" VALUES(1,'default','54dd3759-388c-4382-ab87-56cf6ea65670',1796620889106000,NULL,'626a0676-41a9-415f-b429-b8b97fdf7fbc',0,0,X'01582888AB061AAD974B7283300C86EF42D7227E5BCE397A011BE3E982649194C974D1BB57362FD330EDA2DDB08111F2AFFF93A5E9888D56314AAB1D48C40E9444013EA0056DBA647A6FB4B13460D6D5998AC30530FBCAF459F0B3702D67868AB3D0B38767616743A726A76843D26CDB83446639059B2782A1F7B72BED383CDB7D86694EFE5856F2EECCD29D8C712F3330F5D105A5D5ACCDF63A475E38AA623FA7B5D46CBC51914E9245D5BBA84146D6830A4283EFAD00EE75944975D1494107A921AC18DC21B810F8935566043F32ABE49B9C43D16425E23B108D11C633630D28EE1D3D7482A0848380C1D914934DA1A3040F90A98999715853F3635BCD6E27DFBEBD5F86173FAE39FDC33DB1B2B443E90F2435A85030891A78C74990E802389E12D9D868EC50324453E4F4635947A94DD2CDB2AFDDAF33F1B36336233FC8C83DD0FE7925BE61B8DCCBDFA6899F6EA2D2F38EB122827343A08FF256C89ACF2F5DC42E78','version');
INSERT INTO "statements" VALUES(2,'default','83e9a274-86a2-4a88-b023-9a8c2107ec34',1796620889106000,NULL,'626a0676-41a9-415f-b429-b8b97fdf7fbc',0,0,X'01582888AB061AA5974D6EC2301085EF92AE076CC7BFEC7A81AE7A81B1138B85432520EAAA77EF384E82A10889B2611332B167DEF7EC57B6D8D8B677288C04AB5180446BC133D182431B0467A60FAD24ABA8A65386C30530F3C9D44EF09D701BCE340D67A1E71A9E859D0B3A3539536FA83597F4D05A6638159B6F04A9C7E381320ECF727FEA8049381EC29E764B2EBA80B44AB5599FE6B20B447357660A6ED6540686E369DB49D333E63D706F3B90C12358A11C281E9C575149A5285CCC550B7D17F8E873AB86331E7FE45AAB7596E2AA201C37D5BD698B9BFD79486F38660D5712BE7DED81F0EE09F84ABF2FC8B721F9581374001719C94B6A01CED2D59D478FDAB7CA3343F965DDDD8365567C94C90D5F1D794FF3F1751C30FDB3C6784C5462A1F36E6F9FAE3C9F707965E7F712057DEAF3997DED568D161A99361A2447473F2A8297C281B7DE99D845137DC8AFE138C563B26D3AE96A437F11AC6F02AB07CAC307F21B48C36902AC2410EACAE4C1F7312747C906457FCA2995353FBF9D4662F6','version');
INSERT INTO "statements" VALUES(3,'default','817a49a5-9c90-4572-94d1-c79d13baecf5',1796620889385000,NULL,'fbc8c914-264c-4e35-a59f-41e727fdd8d0',0,0,X'01582888AB061AAD974D72C3200C85EFE2AEE5207E0CE41CBD800C78BA70B248EA76BAE8DD2B63FC9764D245BBF60C164FEF137AD3152B8796B427033E7801DA58095E4784607D44D5520A9DE151B1E9CED41C9420ECAB30478947E96BE50C3767A6670FCFCCCE8ACE969CAC0D4BB3A607E584453EAC6C047DA2CB99330E8E76BF7F60EE6565EF1696AE6C8C6BDE81798ECE282D66ADD6CFE3C93347459802C24D5973CF860B37E9404EA4448675C30641FB18A1B54D0B29C8A4144AD598F1225B08370CEE109C097C669582E0D7C82AFB66AC216BB210710B44D5B5C1058F1A64A303E8A40C90F11DD79BACB45D8C2E727C7884CC969882C3521A0DF566773BB4F5DBFBA97FA161A9E91FDE8985A51D4A7F20A912B191818405E465859DEE3410790B86ED662C1A1BA3CE72D290E3288F497E59F6BDFB75277E66E44F367202CE9F67E61BFAD335FF6DDAF8F925CA33EF31561FA924BE6A4C85A2FAFE019F452F53','version');
INSERT INTO "statements" VALUES(4,'default','03cc5239-7b83-434e-8d65-312c32dd7900',1796620889385000,NULL,'fbc8c914-264c-4e35-a59f-41e727fdd8d0',0,0,X'01582888AB061AA5974B72C2300C40EF92AE05B62CE3985D2FD0552FE0EFB048E80C90E9F52BE74742291DDA7562F9A3F7646BD8622554081A9505E36B05A428411D771A94C4A0304663053F3097D9199223118479177A8F728F7683467272267BD6F24CEE5CD5599AD39F0D1FCDB57B50B53092838D2F8226B9D3917B1C59701F651A17FF23ACBC6556A971DD311C78B75C4527916654ABF96B093B49B40E7CB3A62161AE3B6F313B24AD10520E11C890048F3A41CE31586342202A3B58DA77958FA79B192E7A7CC37549EB88E24C90EB368B77D3D66F0E97B679715D617881F0EDB007E0DD0378C5EF3FF0AD04A2441D3478292D10C508B5F306A260B2C8294BAAE0F59C1F43E6DA8FC8B5A77AFB38B5AEF9638CEED4708869F6BB67FB74E4F1862B2BBBBC0EADA06F52B9B3D7D5AACA3ED4C14A02DC51004A4A83D33603C964D0E418EB28CA30D7F5ED31976DBEE9D648FDFA467F24D6278B9580FBE123D71B68DA732FD8D081F0A9F435F8467355EBA239EB550A14FF54BA545EE417EAB362BB','version');
CREATE INDEX statements_ref ON statements (mount, ref_id) WHERE ref_id IS NOT NULL;
CREATE INDEX statements_stored ON statements (mount, stored_us);
CREATE INDEX journal_mount ON journal (mount, seq);
CREATE INDEX aus_course ON aus (course_id, position);
CREATE INDEX sessions_registration ON sessions (registration, state);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('statements',4);
INSERT INTO "sqlite_sequence" VALUES('journal',3);
COMMIT;
