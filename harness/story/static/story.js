// The reference We Are story in the browser: the same behaviour as harness/story/client.py.
// The endpoint launch parameter wins over the configured API URL; fetch wins over the API key.
"use strict";

const SESSION_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
const STORY_TYPE = "http://adlnet.gov/expapi/activities/lesson";
const CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
const MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon";
const VERBS = "http://adlnet.gov/expapi/verbs/";
const REQUIRED = ["actor", "activityId"];
let TIMEOUT_MS = 10000; // a page that drives the story (certify) may set its own

class StoryFailure extends Error {}

const outcome = { status: "open", reason: "", destination: null, credentials: null,
                  steps: [], statements: [], redirect: null };
let config = null;
let params = {};
let actor = null;
let authorization = null;
let template = {};
let launchData = {};
let handle = null;
const started = Date.now();

function flag(name) { return config.flags[name]; }

function show() {
  document.getElementById("status").textContent = outcome.status;
  document.getElementById("status").className = outcome.status;
  try { describe(); } catch (err) { console.error(err); }  // words only: never stop the story
  window.weareOutcome = JSON.parse(JSON.stringify(outcome));
}

// --- the outcome in words: where, with which credentials, what came back; never a secret ------
function where(url) {
  try { const u = new URL(url); return u.host + u.pathname; } catch (_) { return "(not a URL)"; }
}

function secrets() {
  const found = [];
  if (config && config.api_key) {
    found.push(config.api_key);
    try { found.push(...atob(config.api_key).split(":").slice(1)); } catch (_) { /* not base64 */ }
  }
  for (const step of outcome.steps) {
    if (step.step !== "fetch") continue;
    try { found.push(JSON.parse(step.body)["auth-token"]); } catch (_) { /* no token */ }
  }
  return found.filter((s) => typeof s === "string" && s.length >= 4);
}

function scrub(text) {
  let clean = String(text);
  for (const secret of secrets()) clean = clean.split(secret).join("[redacted]");
  return clean;
}

function credentialsInWords() {
  if (outcome.credentials === "fetch-token") return "auth-token from fetch (the token itself is not shown)";
  if (outcome.credentials === "api-key") {
    let user = "";
    try { user = atob(config.api_key).split(":")[0]; } catch (_) { /* not base64 */ }
    return user ? `API key (Basic, user ${user})` : "API key (Basic)";
  }
  return "none yet";
}

function parsed(body) {
  try { return JSON.parse(body); } catch (_) { return null; }
}

// An error body's rule, with its cmi5 requirement id first. The id may be in any member at any
// depth ("requirement", "violatedReqId", an error list) or in the text; the body kept is cut at
// 500 characters, so unfinished JSON is read with patterns.
const REQUIREMENT_ID = /(?<![\d.])(\d+\.\d+\.\d+\.\d+-\d+)(?!\d|\.\d)/;
const REQUIREMENT_MEMBER = /req|rule|violat|cmi5/i;
const MESSAGE_MEMBERS = ["message", "detail", "error_description", "errormessage", "error-text",
                         "description", "error"];
const HTTP_WORDS = "bad request|unauthorized|forbidden|not found|conflict|internal server error";
const HTTP_WORD = new RegExp(`^(?:${HTTP_WORDS})$`, "i");
const STATUS_LINE = new RegExp(`^\\d{3}(?:\\s+(?:${HTTP_WORDS}))?\\s*[:\\-–—]?\\s*`, "i");

function strings(value, key, out) {
  if (typeof value === "string") out.push([key, value]);
  else if (Array.isArray(value)) { for (const item of value) strings(item, key, out); }
  else if (value && typeof value === "object") {
    for (const [name, item] of Object.entries(value)) strings(item, name, out);
  }
  return out;
}

function refusalInWords(text) {
  const body = parsed(text);
  const pairs = body && typeof body === "object" ? strings(body, "", []) : [];
  const named = pairs.filter(([key]) => REQUIREMENT_MEMBER.test(key));
  let requirement = null;
  for (const [, value] of [...named, ...pairs, ["", text]]) {
    const found = REQUIREMENT_ID.exec(value);
    if (found) { requirement = found[1]; break; }
  }
  let message = null;
  for (const name of MESSAGE_MEMBERS) {
    const hit = pairs.find(([key, value]) => key.toLowerCase() === name && value.trim()
      && value.trim() !== requirement && !HTTP_WORD.test(value.trim()));
    if (hit) { message = hit[1]; break; }
  }
  if (message === null && body === null) {
    const e = /"(?:message|error)"\s*:\s*"((?:[^"\\]|\\.)*)/.exec(text);
    message = e ? e[1].replace(/\\(.)/g, "$1") : text;
  }
  if (message === null) message = JSON.stringify(body);
  message = message.trim().replace(STATUS_LINE, "");
  if (requirement && message.startsWith(requirement)) {
    message = message.slice(requirement.length).replace(/^[\s:\-–—]+/, "");
  }
  return requirement ? `cmi5 ${requirement} ${message}` : message;
}

// A statement POST is stored only when the answer is 200 with the statement ids, the sent
// statement's among them (xAPI Communication §2.1.2); why not, or null when it is.
function notStored(record, stmt) {
  const ids = parsed(record.body || "");
  const rule = "not stored (xAPI Communication §2.1.2)";
  if (record.status === 200 && Array.isArray(ids) && ids.length) {
    if (stmt.id === undefined || ids.includes(stmt.id)) return null;
    return `the LRS answered 200 with ids ${JSON.stringify(ids).slice(0, 120)}, not the sent ` +
      `statement's id ${stmt.id}: ${rule}`;
  }
  const shape = (record.body || "").trim().slice(0, 120);
  return `the LRS answered ${record.status} without the statement ids${shape ? ` (${shape})` : ""}: ${rule}`;
}

function answerInWords(step) {
  if (step.error) return `no answer: ${step.error}`;
  if (step.status === undefined) return "no answer yet";
  const body = parsed(step.body || "");
  let reason = "";
  if (step.step === "fetch") {
    reason = body && typeof body["auth-token"] === "string" ? "auth-token received"
      : `no auth-token${body && body["error-text"] ? ": " + body["error-text"] : ""}`;
  } else if (step.status >= 200 && step.status < 300 && step.step === "statement") {
    const n = Array.isArray(body) ? body.length : 0;
    reason = n && !step.notStored ? `${n} statement${n === 1 ? "" : "s"} stored`
      : "not stored: the answer lacks the statement's id";
  } else if (step.step === "preferences" && step.status === 404) {
    reason = "no learner preferences yet (allowed)";
  } else if (step.status >= 400) {
    reason = refusalInWords(step.body || "");
  }
  reason = scrub(reason).replace(/\s+/g, " ");
  if (reason.length > 160) reason = reason.slice(0, 159) + "…";
  return `${step.status}${reason ? ", " + reason : ""}`;
}

const STEP_NAMES = { fetch: "fetch URL", statement: "statements", "launch-data": "LMS.LaunchData",
                     preferences: "learner preferences" };

function describe() {
  const text = (id, value) => { document.getElementById(id).textContent = value; };
  text("outcome-destination", outcome.destination ? where(outcome.destination) : "not yet known");
  text("outcome-credentials", credentialsInWords());
  text("outcome-reason", outcome.reason ? scrub(outcome.reason) : "none");
  const items = outcome.steps.map((step) => {
    const li = document.createElement("li");
    const name = (STEP_NAMES[step.step] || step.step) + (step.verb ? ` (${step.verb})` : "");
    const host = step.step === "fetch" ? ` (${where(step.url).split("/")[0]})` : "";
    li.textContent = `${step.method} ${name}${host} → ${answerInWords(step)}`;
    return li;
  });
  document.getElementById("outcome-requests").replaceChildren(...items);
}

// The last segment of a statement's verb id ("completed"), or null.
function verbName(stmt) {
  const id = stmt && stmt.verb && typeof stmt.verb.id === "string" ? stmt.verb.id : "";
  return id ? id.split("/").filter(Boolean).pop() : null;
}

function fail(reason) { outcome.status = "failed"; outcome.reason = reason; }

function parseLaunch() {
  const query = new URLSearchParams(window.location.search);
  const found = {};
  for (const [name, value] of query) { if (!(name in found)) found[name] = value; }
  for (const name of REQUIRED) {
    if (!(name in found)) {
      const hint = ("amp;" + name) in found
        ? ` (found 'amp;${name}': the LMS wrote '&amp;' where '&' belongs)` : "";
      throw new StoryFailure(`launch URL lacks the required parameter '${name}'${hint}`);
    }
  }
  return found;
}

async function request(step, method, url, { headers = {}, body = null, verb = null } = {}) {
  const record = { step, method, url };
  if (verb) record.verb = verb;  // a statement's verb, named in the outcome
  outcome.steps.push(record);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(url, { method, headers, mode: "cors", credentials: "omit",
                                  body: body === null ? undefined : JSON.stringify(body),
                                  signal: controller.signal });
  } catch (err) {
    record.error = err.name === "AbortError" ? `no answer within ${TIMEOUT_MS / 1000} s` : String(err);
    throw new StoryFailure(err.name === "AbortError"
      ? `${step}: ${url} did not answer within ${TIMEOUT_MS / 1000} s`
      : `${step}: cannot reach ${url} (${err.message}; a CORS refusal looks like this too)`);
  } finally { clearTimeout(timer); }
  record.status = response.status;
  record.body = (await response.text()).slice(0, 500);
  return record;
}

async function fetchToken(url) {
  const record = await request("fetch", flag("fetch_method"), url);
  try {
    const body = JSON.parse(record.body);
    const token = body && body["auth-token"];
    return typeof token === "string" && token ? token : null;
  } catch (_) { return null; }
}

async function resolve() {
  const endpoint = flag("ignore_endpoint_param") ? null : params.endpoint;
  const base = endpoint || config.api_url;
  if (!base) throw new StoryFailure("no destination: no endpoint parameter and no API URL configured");
  outcome.destination = base;
  const fetchUrl = params.fetch;
  const useKey = flag("prefer_api_key") && config.api_key;
  if (fetchUrl && !useKey) {
    let token = null;
    for (let i = 0; i < flag("fetch_calls"); i++) token = (await fetchToken(fetchUrl)) || token;
    if (token === null) {
      const last = outcome.steps[outcome.steps.length - 1];
      throw new StoryFailure(`the fetch URL gave no auth-token: ${(last.body || "").slice(0, 200)}`);
    }
    const scheme = flag("authorization_scheme");
    authorization = scheme ? `${scheme} ${token}` : token;
    outcome.credentials = "fetch-token";
  } else if (config.api_key) {
    authorization = `Basic ${config.api_key}`;
    outcome.credentials = "api-key";
  } else {
    throw new StoryFailure("no credentials: no fetch parameter and no API key configured");
  }
}

function xapiHeaders(withBody) {
  const headers = {};
  if (withBody) headers["Content-Type"] = "application/json";
  if (!flag("omit_version_header")) headers["X-Experience-API-Version"] = "1.0.3";
  if (authorization !== null) headers["Authorization"] = authorization;
  return headers;
}

function statementsUrl(base) {
  if (flag("join_with_slash")) return base + "/statements";
  return base.replace(/\/+$/, "") + "/statements";
}

function timestamp() {
  const offset = flag("timestamp_offset");
  const now = new Date();
  const micros = String(now.getUTCMilliseconds()).padStart(3, "0") + "000";
  if (offset === "Z") return now.toISOString().slice(0, 19) + "." + micros + "Z";
  const sign = offset[0] === "+" ? 1 : -1;
  const [h, m] = offset.slice(1).split(":").map(Number);
  const shifted = new Date(now.getTime() + sign * (h * 60 + m) * 60000);
  return shifted.toISOString().slice(0, 19) + "." + micros + offset;
}

function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function learner() {
  return flag("alter_actor") ? Object.assign({}, actor, { name: "We Are learner" }) : actor;
}

function completedStatement() {
  const stmt = {};
  if (!flag("omit_statement_id")) stmt.id = uuid4();
  stmt.actor = learner();
  stmt.verb = { id: flag("verb_id"), display: { "en-US": "Completed" } };
  const objectId = flag("object_id_from_url") ? window.location.origin + window.location.pathname
                                               : params.activityId;
  stmt.object = { id: objectId, objectType: "Activity", definition: { type: STORY_TYPE } };
  stmt.timestamp = timestamp();
  let context = {};
  const registration = flag("fixed_registration") || params.registration;
  if (registration && !flag("drop_registration")) context.registration = registration;
  if (params.sessionId && !flag("drop_session_id")) {
    context.extensions = { [SESSION_EXTENSION]: params.sessionId };
  }
  if (Object.keys(context).length) {
    if (flag("capitalise_context")) {
      const upper = {};
      for (const [k, v] of Object.entries(context)) upper[k[0].toUpperCase() + k.slice(1)] = v;
      stmt.Context = upper;
    } else {
      stmt.context = context;
    }
  }
  return stmt;
}

async function send(stmt) {
  const url = statementsUrl(outcome.destination);
  const record = await request("statement", "POST", url,
                               { headers: xapiHeaders(true), body: stmt, verb: verbName(stmt) });
  outcome.statements.push(stmt);
  if (record.status < 200 || record.status >= 300) {
    throw new StoryFailure(`the LRS refused the statement: ${record.status} ${record.body.slice(0, 200)}`);
  }
  record.notStored = notStored(record, stmt);
  if (record.notStored) throw new StoryFailure(record.notStored);
}

// --- cmi5-full: the whole AU session ---------------------------------------------------------
async function getJson(step, path, query) {
  const base = outcome.destination.endsWith("/") ? outcome.destination : outcome.destination + "/";
  const url = base + path + "?" + new URLSearchParams(query).toString();
  return request(step, "GET", url, { headers: xapiHeaders(false) });
}

function cmi5Statement(verb, result, moveon) {
  const context = JSON.parse(JSON.stringify(template));
  context.registration = params.registration;
  context.contextActivities = context.contextActivities || {};
  const categories = context.contextActivities.category = context.contextActivities.category || [];
  categories.push({ id: CMI5_CATEGORY });
  if (moveon) categories.push({ id: MOVEON_CATEGORY });
  const stmt = { id: uuid4(), actor: learner(), verb: { id: VERBS + verb, display: { "en-US": verb } },
                 object: { id: params.activityId, objectType: "Activity" },
                 timestamp: timestamp(), context };
  if (result) stmt.result = result;
  return stmt;
}

function duration() { return `PT${Math.max((Date.now() - started) / 1000, 0.01).toFixed(2)}S`; }

async function cmi5Start() {
  const agent = JSON.stringify(actor);
  const data = await getJson("launch-data", "activities/state", {
    stateId: "LMS.LaunchData", activityId: params.activityId, agent,
    registration: params.registration || "" });
  if (data.status !== 200) throw new StoryFailure(`LMS.LaunchData could not be read: ${data.status}`);
  launchData = JSON.parse(data.body);
  template = launchData.contextTemplate || {};
  const prefs = await getJson("preferences", "agents/profile",
                              { profileId: "cmi5LearnerPreferences", agent });
  if (prefs.status !== 200 && prefs.status !== 404) {
    throw new StoryFailure(`learner preferences could not be read: ${prefs.status}`);
  }
  await send(cmi5Statement("initialized"));
}

async function cmi5Complete() {
  if ((launchData.launchMode || "Normal") === "Normal") {
    const completed = cmi5Statement("completed", { completion: true, duration: duration() }, true);
    if (flag("verb_id") !== VERBS + "completed") completed.verb.id = flag("verb_id");
    await send(completed);
  }
}

async function cmi5Terminate() {
  await send(cmi5Statement("terminated", { duration: duration() }));
  outcome.redirect = launchData.returnURL || null;
}

async function cmi5Finish() {
  await cmi5Complete();
  await cmi5Terminate();
}

// --- the flow ----------------------------------------------------------------------------------
async function openStory() {
  params = parseLaunch();
  try { actor = JSON.parse(params.actor); } catch (err) {
    throw new StoryFailure(`the actor parameter is not JSON: ${err.message}`);
  }
  if (actor === null || typeof actor !== "object" || Array.isArray(actor)) {
    throw new StoryFailure("the actor parameter is not a JSON object");
  }
  await resolve();
  if (config.behaviour === "cmi5-full") await cmi5Start();
}

async function finishStory() {
  if (config.behaviour === "cmi5-full") {
    await cmi5Finish();
  } else {
    for (let i = 0; i < flag("send_count"); i++) await send(completedStatement());
  }
  outcome.status = "completed";
}

async function report() {
  show();
  const key = new URLSearchParams(window.location.search).get("cfg");
  try {
    await fetch(`/story/api/results/${encodeURIComponent(key)}`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(window.weareOutcome) });
  } catch (_) { /* the result is on the page either way */ }
}

async function onFinish() {
  document.getElementById("finish").disabled = true;
  try {
    if (config.transport === "server") {
      const r = await fetch(`/story/api/sessions/${handle}/finish`, { method: "POST" });
      Object.assign(outcome, (await r.json()).outcome);
    } else if (outcome.status !== "failed") {
      await finishStory();
    }
  } catch (err) {
    if (!(err instanceof StoryFailure)) console.error(err);
    fail(err.message);
  }
  await report();
  window.weareFinished = true;
  if (outcome.redirect && outcome.status === "completed") window.location.assign(outcome.redirect);
}

async function boot() {
  const key = new URLSearchParams(window.location.search).get("cfg");
  try {
    const r = await fetch(`/story/api/configs/${encodeURIComponent(key)}`);
    if (!r.ok) throw new StoryFailure(`story configuration ${key} not found (${r.status})`);
    config = await r.json();
    if (config.transport === "server") {
      const opened = await fetch("/story/api/sessions", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ cfg: key, launch_url: window.location.href }) });
      const body = await opened.json();
      handle = body.handle;
      Object.assign(outcome, body.outcome);
    } else {
      await openStory();
    }
  } catch (err) {
    if (!(err instanceof StoryFailure)) console.error(err);
    fail(err.message);
  }
  await report();  // the story's server always holds the page's latest state
  const button = document.getElementById("finish");
  button.disabled = false;
  button.addEventListener("click", onFinish);
  window.weareReady = true;
}

// A page that loads this file as a library (`<script src="story.js" data-library>`, the certify
// capture page) drives these functions itself; the reference story boots.
if (!document.currentScript || !("library" in document.currentScript.dataset)) boot();
