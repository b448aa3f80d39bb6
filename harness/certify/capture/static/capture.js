// The certify capture page: a cmi5 AU that plays both We Are behaviours in the vendor's browser
// with the reference story's own functions (story.js, loaded as a library: same fetch, CORS
// requests, statements), reports every request to certify, and shows certify's verdict.
"use strict";

const CERTIFICATION_TEST = "https://weare-harness.dev/xapi/extensions/certification-test";
const POLL_MS = 500;
const POLL_LIMIT = 4000; // polls at most (33 minutes): certify's own --timeout ends sooner
const BODY_LIMIT = 4000;
const MISSES_LIMIT = 5; // status polls in a row without an answer before the page gives up
const pageFetch = window.fetch.bind(window);
const sent = []; // per story.js request: the headers and body it sent, its answer, its time
let lastAnswer = null;
let configs = null;
let launch = null;
const phaseErrors = {}; // phase -> why it stopped: the story goes no further in that behaviour

// What story.js cannot tell us: the headers it sent, the answer's headers and full body.
window.fetch = async function (input, init) {
  lastAnswer = null;
  const response = await pageFetch(input, init);
  const text = await response.clone().text();
  lastAnswer = { headers: Object.fromEntries(response.headers.entries()), text: text.slice(0, BODY_LIMIT) };
  return response;
};

const storyRequest = request;
request = async function (step, method, url, options = {}) {
  const meta = { headers: options.headers || {}, started: performance.now(),
                 body: options.body === undefined || options.body === null ? "" : JSON.stringify(options.body) };
  sent.push(meta);
  try {
    return await storyRequest(step, method, url, options);
  } finally {
    meta.ms = performance.now() - meta.started;
    meta.answer = lastAnswer;
  }
};

// Every statement the page sends is marked as a certification test, as certify's own are.
const storySend = send;
send = function (stmt) {
  stmt.context = stmt.context || {};
  stmt.context.extensions = Object.assign({}, stmt.context.extensions, { [CERTIFICATION_TEST]: true });
  return storySend(stmt);
};

async function api(path, body) {
  const options = body === undefined ? { cache: "no-store" }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await pageFetch("api/" + path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || `certify answered ${response.status}`);
  return data;
}

function needToken() {
  if (authorization === null) throw new StoryFailure("not played: the fetch URL gave this page no auth-token");
}

const PHASE_STEPS = {
  fetch: async () => {
    config = configs["weare-documented"];
    params = parseLaunch();
    try { actor = JSON.parse(params.actor); } catch (err) {
      throw new StoryFailure(`the actor parameter is not JSON: ${err.message}`);
    }
    await resolve();
  },
  documented: async () => {
    needToken();
    config = configs["weare-documented"];
    await send(completedStatement());
  },
  // The full cmi5 session in two phases: certify sends its probes and reads back inside the
  // started session, between completed and terminated.
  "cmi5-start": async () => {
    needToken();
    config = configs["cmi5-full"];
    await cmi5Start();
    await cmi5Complete();
  },
  "cmi5-end": async () => {
    needToken();
    if (phaseErrors["cmi5-start"]) throw new StoryFailure(`not played: ${phaseErrors["cmi5-start"]}`);
    config = configs["cmi5-full"];
    await cmi5Terminate();
  },
};

async function runPhase(name) {
  outcome.steps.length = 0;
  sent.length = 0;
  let error = null;
  try { await PHASE_STEPS[name](); } catch (err) { error = err.message || String(err); }
  phaseErrors[name] = error;
  const steps = outcome.steps.map((record, i) => {
    const meta = sent[i] || {};
    const answer = meta.answer || {};
    return { step: record.step, method: record.method, url: record.url, status: record.status,
             error: record.error, request_headers: meta.headers, request_body: meta.body,
             response_headers: answer.headers, response_text: answer.text, ms: meta.ms };
  });
  const body = { steps, error };
  if (name === "fetch") body.authorization = authorization;
  await api(`launches/${launch.launch}/phases/${name}`, body);
}

function item(parent, tag, text, cls) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (cls) el.className = cls;
  parent.appendChild(el);
  return el;
}

function showState(text, cls) {
  const state = document.getElementById("state");
  state.textContent = text;
  state.className = cls || "";
}

function showProgress(progress) {
  const list = document.getElementById("progress");
  list.replaceChildren();
  for (const line of progress) item(list, "li", line.text, line.status);
}

function showVerdict(status) {
  const v = status.verdict;
  document.getElementById("verdict").hidden = false;
  // The headline as the report has it: plain WORKS only when both behaviours work.
  item(document.getElementById("verdict-word"), "strong", v.headline, v.tone);
  document.getElementById("requirement").textContent = v.requirement;
  document.getElementById("summary").textContent = v.summary;
  const behaviours = document.getElementById("behaviours");
  for (const [name, b] of Object.entries(v.behaviours)) {
    const li = item(behaviours, "li", "");
    item(li, "strong", `${name}: `);
    item(li, "span", b.verdict, b.verdict);
    li.appendChild(document.createTextNode(` (${b.reason})`));
  }
  const fixes = document.getElementById("fixes");
  if (!v.top_fixes.length) item(fixes, "li", "nothing to fix");
  for (const fix of v.top_fixes) item(fixes, "li", fix);
  const c = v.counts;
  document.getElementById("counts").textContent =
    `${c.checks} checks: ${c.pass} passed, ${c.fail} failed, ${c.warn} warnings, ` +
    `${c.unsupported} not supported, ${c.skipped} skipped (with the reason); ${c.requests} requests.`;
  const checks = document.getElementById("checks");
  for (const check of v.checks) {
    const div = item(checks, "div", "", "check");
    const head = item(div, "p", "");
    item(head, "span", check.status.toUpperCase(), "mark " + check.status);
    head.appendChild(document.createTextNode(" "));
    item(head, "strong", check.id);
    head.appendChild(document.createTextNode(` (${check.severity}): ${check.title}`));
    item(div, "p", check.detail);
    if (check.fix) item(div, "p", "How to fix: " + check.fix);
    item(div, "p", "Rule: " + check.rule, "skipped");
  }
  document.getElementById("reports").textContent =
    `certify wrote the report, results, JUnit and certificate to ${status.reports}.`;
}

async function follow() {
  let misses = 0;
  for (let i = 0; i < POLL_LIMIT; i++) {
    let status;
    try {
      status = await api(`status?launch=${launch.launch}`);
      misses = 0;
    } catch (_) {
      if (++misses < MISSES_LIMIT) {
        await new Promise((done) => setTimeout(done, POLL_MS));
        continue;
      }
      showState("certify stopped answering; its console has the verdict", "fail");
      window.weareCaptureDone = "lost";
      return;
    }
    showProgress(status.progress);
    if (status.state === "done") {
      showState(`done: ${status.verdict.verdict}`, status.verdict.verdict);
      showVerdict(status);
      // certify stops its server once every page has said this: never before it is shown
      try { await api(`launches/${launch.launch}/shown`, {}); } catch (_) { /* it is shown */ }
      window.weareCaptureDone = status.verdict.verdict;
      return;
    }
    if (status.state === "failed") {
      showState(`certify stopped: ${status.error}`, "fail");
      window.weareCaptureDone = "failed";
      return;
    }
    const waiting = status.launches.expected - status.launches.arrived;
    showState(waiting > 0 && launch && launch.phases.length
      ? `waiting for ${waiting} more launch(es) from your LMS: launch the course again as a test learner`
      : "certify is judging", "");
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

async function main() {
  if (!window.location.search) {
    showState("this page must be launched from your LMS (import the course package certify printed, then launch it)", "warn");
    return;
  }
  try {
    configs = await api("config");
    launch = await api("launches", { launch_url: window.location.href, origin: window.location.origin });
    for (const behaviour of Object.values(configs)) Object.assign(behaviour, launch.integration);
    if (launch.timeout_ms) TIMEOUT_MS = launch.timeout_ms;
    showState(`launch ${launch.launch} of ${launch.total}: playing We Are in this browser`, "");
    for (const name of launch.phases) await runPhase(name);
    window.weareCapturePlayed = launch.launch;
  } catch (err) {
    showState(`could not report to certify: ${err.message}`, "fail");
    window.weareCaptureDone = "failed";
    return;
  }
  await follow();
}

main();
