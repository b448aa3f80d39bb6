// weare-harness dashboard: plain JS, no build step. Every piece of data from the server is put
// into the page with textContent / property setters, never parsed as HTML.
"use strict";

(() => {
  const POLL_MS = 1000; // one journal poll per second per mount while the tab is visible
  const PAGE = 200; // journal entries asked for per poll
  const MAX_ENTRIES = 300; // entries kept on screen per mount; older ones are dropped
  const MAX_BACKOFF_MS = 10000;
  const FETCH_TIMEOUT_MS = 8000;
  const MOUNT_REFRESH_TICKS = 10;
  const REG_REFRESH_MS = 2000;

  const PROFILES = JSON.parse(document.getElementById("launch-profiles").textContent || "{}");
  const QUIRKS = JSON.parse(document.getElementById("quirk-catalogue").textContent || "{}");

  const state = {
    mounts: [],
    mountItems: new Map(), // mount name -> its <li> in the header
    story: null, // GET /api/story: the reference story's URL and profile per behaviour
    regFilter: null, // {id, principals, fetchPaths}: the registration the feed is filtered to
    aus: new Map(), // au id -> {au, li}
    feeds: new Map(), // mount name -> feed
    activeMount: null,
    registration: null,
    regLoadedAt: 0,
    regDirty: false,
    mountsDirty: false,
    pollTimer: null,
    polling: false,
    pollErrors: 0,
    ticks: 0,
    connected: false,
  };

  // ---------------------------------------------------------------------------- DOM helpers
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  function el(tag, options = {}, ...children) {
    const node = document.createElement(tag);
    if (options.cls) node.className = options.cls;
    if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
    if (options.title) node.title = String(options.title);
    if (options.attrs) {
      for (const [name, value] of Object.entries(options.attrs)) node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function asText(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  function isHttpUrl(text) {
    return typeof text === "string" && /^https?:\/\//i.test(text);
  }

  // ---------------------------------------------------------------------------- messages
  const messages = new Map(); // key -> element

  function showMessage(key, text, kind = "error") {
    const box = $("#messages");
    let item = messages.get(key);
    if (!item) {
      item = el("div", { cls: `message ${kind}` });
      const body = el("span", { cls: "message-text" });
      const close = el("button", { cls: "dismiss", text: "×", attrs: { type: "button", "aria-label": "Dismiss" } });
      close.addEventListener("click", () => clearMessage(key));
      item.append(body, close);
      messages.set(key, item);
      box.prepend(item);
    }
    item.className = `message ${kind}`;
    item.querySelector(".message-text").textContent = text;
  }

  function clearMessage(key) {
    const item = messages.get(key);
    if (item) {
      item.remove();
      messages.delete(key);
    }
  }

  // ---------------------------------------------------------------------------- API client
  class ApiError extends Error {
    constructor(status, body, message) {
      super(message);
      this.status = status;
      this.body = body;
    }
    get isAuth() {
      return this.status === 401 || this.status === 403;
    }
  }

  function basic(key) {
    const bytes = new TextEncoder().encode(key);
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return "Basic " + btoa(binary);
  }

  function describeError(method, path, status, body) {
    let text = `${method} /api/${path} failed with HTTP ${status}`;
    if (body && typeof body === "object") {
      if (body.error) text += `: ${asText(body.error)}`;
      if (body.requirement) text += ` [requirement ${asText(body.requirement)}]`;
      if (body.section) text += ` (${asText(body.section)})`;
      if (Array.isArray(body.violations) && body.violations.length) {
        const first = body.violations[0] || {};
        if (first.path) text += ` at ${asText(first.path)}`;
      }
    } else if (typeof body === "string" && body) {
      text += `: ${body.slice(0, 200)}`;
    }
    return text;
  }

  // Every call rides on the session cookie (HttpOnly, SameSite=Strict) that POST /api/session set;
  // only that login call carries the API key, which the page never stores.
  async function api(method, path, body, options = {}) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    init.signal = controller.signal;
    let response;
    let text;
    try {
      response = await fetch(`/api/${path}`, init);
      text = await response.text();
    } catch (err) {
      const why = err && err.name === "AbortError" ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s` : asText(err && err.message);
      throw new ApiError(0, null, `${method} /api/${path}: network error: ${why}`);
    } finally {
      clearTimeout(timer);
    }
    let data = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_) {
      // not JSON: keep the text for the message
    }
    if (!response.ok) throw new ApiError(response.status, data, describeError(method, path, response.status, data));
    return options.raw ? text : data;
  }

  function report(key, err) {
    if (err instanceof ApiError && err.isAuth) {
      authFailed(err);
      return;
    }
    showMessage(key, err instanceof Error ? err.message : String(err));
  }

  // ---------------------------------------------------------------------------- API key
  function authFailed(err) {
    stopPolling();
    state.connected = false;
    showMessage("auth", `API key refused: ${err.message}`);
    $("#key-state").textContent = "no API key";
    show($("#forget-key"), false);
    show($("#key-panel"), true);
    $("#api-key").focus();
  }

  // The API key buys a session cookie once; the key is not kept anywhere in the page.
  async function logIn(key) {
    try {
      await api("POST", "session", undefined, { headers: { Authorization: basic(key) } });
    } catch (err) {
      if (err instanceof ApiError && err.isAuth) authFailed(err);
      else showMessage("auth", err.message);
      return;
    }
    await connect();
    if (state.connected) focusFirstHeading();
  }

  // The key panel gives way to the dashboard: keyboard and screen-reader users start at its top.
  function focusFirstHeading() {
    const heading = $("#app").querySelector("h1, h2, h3");
    if (!heading) return;
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  // Another tab of this browser may have logged in already: then no key is asked.
  async function resume() {
    let session;
    try {
      session = await api("GET", "session");
    } catch (err) {
      showMessage("connect", err.message);
      askForKey();
      return;
    }
    if (session && session.user) connect();
    else askForKey();
  }

  function askForKey() {
    show($("#key-panel"), true);
    show($("#app"), false);
    $("#key-state").textContent = "no API key";
    show($("#forget-key"), false);
  }

  async function connect() {
    let mounts;
    try {
      mounts = await api("GET", "mounts");
    } catch (err) {
      if (err instanceof ApiError && err.isAuth) {
        authFailed(err);
      } else {
        showMessage("connect", err.message);
        askForKey();
      }
      return;
    }
    clearMessage("auth");
    clearMessage("connect");
    state.connected = true;
    show($("#key-panel"), false);
    show($("#app"), true);
    $("#key-state").textContent = "API key in use (this browser session)";
    show($("#forget-key"), true);
    applyMounts(mounts);
    await loadStory();
    await loadAus();
    const linked = new URLSearchParams(window.location.search).get("registration");
    if (linked) await followRegistration(linked);
    schedulePoll(0);
  }

  // ---------------------------------------------------------------------------- mounts
  const MODES = ["enforce", "observe", "plain"];
  const MODE_WORDS = {
    enforce: "enforce: refuses what breaks a cmi5 or xAPI rule (403/400)",
    observe: "observe: accepts and journals each violation",
    plain: "plain: an xAPI LRS without cmi5 rules",
  };

  function modeClass(mode) {
    return `badge mount-mode-badge mode-${MODES.includes(mode) ? mode : "enforce"}`;
  }

  // One item per mount, built once and then updated in place: a picker the user has open stays.
  function mountItem(name) {
    const known = state.mountItems.get(name);
    if (known) return known;
    const mode = el("select", { cls: "mount-mode", attrs: { "aria-label": `Mode of mount ${name}` } });
    mode.replaceChildren(...MODES.map((m) => el("option", { text: m, title: MODE_WORDS[m], attrs: { value: m } })));
    mode.addEventListener("change", () => changeMount(name, { mode: mode.value }));
    const boxes = el("div", { cls: "quirk-boxes" });
    for (const [quirk, description] of Object.entries(QUIRKS)) {
      boxes.append(el("label", { cls: "quirk-item", title: description }, el("input", { attrs: { type: "checkbox", value: quirk } }), ` ${quirk}`));
    }
    const apply = el("button", { cls: "apply-quirks", text: "Apply quirks", attrs: { type: "button" } });
    const picker = el(
      "details",
      { cls: "quirk-picker" },
      el("summary", { cls: "mount-quirks" }),
      el("div", { cls: "quirk-menu" }, el("p", { cls: "muted", text: "Quirks make this mount misbehave as real LMSs do; server-wide ones (serve --quirk) cannot be unset here." }), boxes, apply),
    );
    apply.addEventListener("click", () => {
      const quirks = $$(".quirk-boxes input:checked:not(:disabled)", picker).map((box) => box.value);
      picker.open = false;
      changeMount(name, { quirks });
    });
    const li = el(
      "li",
      { cls: "mount", attrs: { "data-mount": name } },
      el("strong", { text: name }),
      el("span", { cls: modeClass("enforce") }),
      mode,
      picker,
      el("code", { cls: "endpoint" }),
      el("span", { cls: "muted mount-count" }),
    );
    state.mountItems.set(name, li);
    return li;
  }

  function fillMount(li, m) {
    const badge = $(".mount-mode-badge", li);
    badge.className = modeClass(m.mode);
    badge.textContent = m.mode;
    badge.title = MODE_WORDS[m.mode] || "";
    const mode = $(".mount-mode", li);
    if (document.activeElement !== mode) mode.value = m.mode;
    const inForce = Array.isArray(m.quirks) ? m.quirks : [];
    const own = Array.isArray(m.mount_quirks) ? m.mount_quirks : [];
    const summary = $(".mount-quirks", li);
    summary.textContent = inForce.length ? `quirks: ${inForce.join(", ")}` : "quirks: none";
    // the accessible name starts with the visible words (WCAG 2.5.3), then says whose they are
    summary.setAttribute("aria-label", `${summary.textContent} (mount ${li.dataset.mount})`);
    const picker = $(".quirk-picker", li);
    if (!picker.open) {
      for (const box of $$(".quirk-boxes input", li)) {
        const serverWide = inForce.includes(box.value) && !own.includes(box.value);
        box.checked = inForce.includes(box.value);
        box.disabled = serverWide;
      }
    }
    $(".endpoint", li).textContent = m.endpoint;
    $(".mount-count", li).textContent = `${m.statements} statements`;
  }

  function applyMounts(mounts) {
    state.mounts = Array.isArray(mounts) ? mounts : [];
    const list = $("#mounts");
    list.replaceChildren(
      ...state.mounts.map((m) => {
        const li = mountItem(m.name);
        fillMount(li, m);
        return li;
      }),
    );
    for (const m of state.mounts) ensureFeed(m.name);
    for (const { li } of state.aus.values()) fillMountSelects(li);
    for (const button of $$(".switch-observe")) button.hidden = mountMode(button.dataset.mount) !== "enforce";
  }

  function mountMode(name) {
    const found = state.mounts.find((m) => m.name === name);
    return found ? found.mode : null;
  }

  async function changeMount(name, change) {
    const key = `mount:${name}`;
    try {
      const changed = await api("PATCH", `mounts/${encodeURIComponent(name)}`, change);
      clearMessage(key);
      applyMounts(await api("GET", "mounts"));
      const said = "mode" in change ? `mode ${changed.mode} (${MODE_WORDS[changed.mode] || ""})` : `quirks: ${changed.quirks.join(", ") || "none"}`;
      showMessage(key, `Mount ${name} now has ${said}.`, "info");
    } catch (err) {
      report(key, err);
      try {
        applyMounts(await api("GET", "mounts"));
      } catch (_) {
        // the message above already says what went wrong
      }
    }
  }

  // ---------------------------------------------------------------------------- AUs
  async function loadAus() {
    try {
      const aus = await api("GET", "aus");
      clearMessage("aus");
      renderAus(Array.isArray(aus) ? aus : []);
    } catch (err) {
      report("aus", err);
    }
  }

  // The reference story `serve` hosts (none: 404): which launch profile each behaviour's AU needs.
  async function loadStory() {
    try {
      state.story = await api("GET", "story");
    } catch (err) {
      state.story = null;
      if (!(err instanceof ApiError && err.status === 404)) report("story", err);
    }
  }

  // The profile an AU names: the reference story's for its behaviour, else one its title names
  // ("... launch with the weare profile"); null when it names none.
  function auProfile(au) {
    const story = state.story || {};
    for (const [behaviour, url] of Object.entries(story.behaviours || {})) {
      const profile = (story.profiles || {})[behaviour];
      if (url === au.url && PROFILES[profile]) return profile;
    }
    const named = /\b([\w-]+) profile\b/.exec(au.title || "");
    return named && PROFILES[named[1]] ? named[1] : null;
  }

  function renderAus(aus) {
    const list = $("#au-list");
    for (const au of aus) {
      let known = state.aus.get(au.id);
      if (!known) {
        const li = $("#au-template").content.firstElementChild.cloneNode(true);
        known = { au, li };
        state.aus.set(au.id, known);
        setupBuilder(li, au);
        list.append(li);
      }
      known.au = au;
      fillAu(known.li, au);
    }
    show($("#aus-empty"), state.aus.size === 0);
  }

  function fillAu(li, au) {
    li.dataset.auId = au.id;
    $(".au-title", li).textContent = au.title || au.url;
    $(".au-moveon", li).textContent = `moveOn ${au.move_on}`;
    $(".au-url", li).textContent = au.url;
    $(".au-publisher", li).textContent = au.publisher_id;
    $(".au-mastery", li).textContent = au.mastery_score === null || au.mastery_score === undefined ? "—" : String(au.mastery_score);
    $(".au-id", li).textContent = au.id;
  }

  async function registerAu(event) {
    event.preventDefault();
    const body = { url: $("#au-url").value.trim(), move_on: $("#au-move-on").value };
    const title = $("#au-title").value.trim();
    if (title) body.title = title;
    const mastery = $("#au-mastery").value.trim();
    if (mastery !== "") body.mastery_score = Number(mastery);
    try {
      const au = await api("POST", "aus", body);
      clearMessage("register-au");
      $("#au-form").reset();
      renderAus([au]);
      showMessage("register-au-ok", `Registered AU ${au.title || au.url}`, "info");
    } catch (err) {
      clearMessage("register-au-ok");
      report("register-au", err);
    }
  }

  // ---------------------------------------------------------------------------- launch builder
  function fillMountSelects(li) {
    const mountSel = $(".lb-mount", li);
    const endpointSel = $(".lb-endpoint-mount", li);
    const keepMount = mountSel.value;
    const keepEndpoint = endpointSel.value;
    mountSel.replaceChildren(...state.mounts.map((m) => el("option", { text: m.name, attrs: { value: m.name } })));
    endpointSel.replaceChildren(
      el("option", { text: "(same as mount)", attrs: { value: "" } }),
      ...state.mounts.map((m) => el("option", { text: m.name, attrs: { value: m.name } })),
    );
    if (keepMount && state.mounts.some((m) => m.name === keepMount)) mountSel.value = keepMount;
    if (state.mounts.some((m) => m.name === keepEndpoint)) endpointSel.value = keepEndpoint;
  }

  function renderOmit(li) {
    const profile = PROFILES[$(".lb-profile", li).value] || { parameters: [], required: [] };
    const box = $(".lb-omit", li);
    box.replaceChildren(
      ...profile.parameters.map((name) => {
        const input = el("input", { attrs: { type: "checkbox", value: name } });
        const required = (profile.required || []).includes(name);
        return el(
          "label",
          { cls: "omit-item", title: required ? "required by this profile" : "optional in this profile" },
          input,
          ` ${name}`,
          required ? el("span", { cls: "req", text: "*" }) : null,
        );
      }),
    );
    $(".lb-omit-set legend", li).textContent = `Omit parameters (${$(".lb-profile", li).value}; * required)`;
    $(".lb-profile-desc", li).textContent = profile.description || "";
  }

  function setupBuilder(li, au) {
    const profileSel = $(".lb-profile", li);
    profileSel.replaceChildren(
      ...Object.keys(PROFILES).map((name) =>
        el("option", { text: name, title: PROFILES[name].description, attrs: { value: name } }),
      ),
    );
    const named = auProfile(au);
    if (named) profileSel.value = named;
    else if (PROFILES.cmi5) profileSel.value = "cmi5";
    profileSel.addEventListener("change", () => renderOmit(li));
    renderOmit(li);
    fillMountSelects(li);
    $(".launch-form", li).addEventListener("submit", (event) => buildLaunch(event, li));
    $(".copy", li).addEventListener("click", () => copyLaunch(li));
    li.dataset.auId = au.id;
  }

  function parseOverrides(text) {
    const overrides = {};
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (!line) continue;
      const at = line.indexOf("=");
      if (at <= 0) throw new Error(`override ${JSON.stringify(line)} is not name=value`);
      overrides[line.slice(0, at).trim()] = line.slice(at + 1);
    }
    return overrides;
  }

  function launchBody(li) {
    const body = {
      au_id: li.dataset.auId,
      profile: $(".lb-profile", li).value,
      launch_mode: $(".lb-mode", li).value,
      encoding: $(".lb-encoding", li).value,
      mount: $(".lb-mount", li).value,
      omit: $$(".lb-omit input:checked", li).map((box) => box.value),
      raw_actor: $(".lb-raw-actor", li).checked,
      amp_entities: $(".lb-amp", li).checked,
      endpoint_trailing_slash: $(".lb-slash", li).checked,
      fetch_query: $(".lb-fetch-query", li).checked,
      overrides: parseOverrides($(".lb-overrides", li).value),
    };
    const endpointMount = $(".lb-endpoint-mount", li).value;
    if (endpointMount) body.endpoint_mount = endpointMount;
    const registration = $(".lb-registration", li).value.trim();
    if (registration) body.registration = registration;
    const order = $(".lb-order", li)
      .value.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (order.length) body.order = order;
    const actor = $(".lb-actor", li).value.trim();
    if (actor) {
      try {
        body.actor = JSON.parse(actor);
      } catch (err) {
        throw new Error(`actor is not JSON: ${err.message}`);
      }
    }
    return body;
  }

  async function buildLaunch(event, li) {
    event.preventDefault();
    const key = `launch:${li.dataset.auId}`;
    let body;
    try {
      body = launchBody(li);
    } catch (err) {
      showMessage(key, `Launch builder: ${err.message}`);
      return;
    }
    let out;
    try {
      out = await api("POST", "launches", body);
    } catch (err) {
      report(key, err);
      return;
    }
    clearMessage(key);
    const result = $(".launch-result", li);
    const link = $(".launch-link", li);
    link.textContent = out.launch_url;
    if (isHttpUrl(out.launch_url)) link.href = out.launch_url;
    else link.removeAttribute("href");
    $(".lr-registration", li).textContent = out.registration;
    $(".lr-session", li).textContent = out.session_id;
    const abandoned = out.abandoned_sessions || [];
    $(".lr-abandoned", li).textContent = abandoned.length ? abandoned.join(", ") : "none";
    show(result, true);
    await followRegistration(out.registration);
  }

  async function copyLaunch(li) {
    const text = $(".launch-link", li).textContent;
    const button = $(".copy", li);
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch (_) {
      ok = false;
    }
    if (!ok) {
      const area = el("textarea", { cls: "offscreen" });
      area.value = text;
      document.body.append(area);
      area.select();
      try {
        ok = document.execCommand("copy");
      } catch (_) {
        ok = false;
      }
      area.remove();
    }
    button.textContent = ok ? "Copied" : "Copy failed: select the link text";
    setTimeout(() => {
      button.textContent = "Copy";
    }, 1500);
  }

  // ---------------------------------------------------------------------------- sessions
  function auTitle(auId) {
    const known = state.aus.get(auId);
    return known ? known.au.title || known.au.url : auId;
  }

  function flag(value) {
    return el("span", { cls: value ? "yes" : "no", text: value ? "yes" : "no" });
  }

  function shortVerb(id) {
    const text = asText(id);
    const cut = text.lastIndexOf("/");
    return cut >= 0 ? text.slice(cut + 1) : text;
  }

  // Satisfied with nothing completed, passed or waived: only moveOn NotApplicable does that.
  function satisfiedReason(auId, p) {
    if (!p.satisfied || p.completed || p.passed || p.waived) return null;
    const known = state.aus.get(auId);
    if (known && known.au.move_on !== "NotApplicable") return null; // not explained away: shown as is
    return "Satisfied with nothing completed yet: moveOn NotApplicable needs nothing, so the LMS counts the AU as satisfied from registration (cmi5 §13.1.4 moveOn, 9.6.1.1-3).";
  }

  // Show a registration, filter the feed to it and make the address its permalink.
  async function followRegistration(reg) {
    const id = (reg || "").trim();
    if (!id) return;
    $("#reg-id").value = id;
    $("#filter-registration").value = id;
    const url = new URL(window.location.href);
    url.search = new URLSearchParams({ registration: id }).toString();
    window.history.replaceState(null, "", url.pathname + url.search);
    await loadRegistration(id);
    applyFilter();
  }

  function fetchPath(launchUrl) {
    try {
      const fetchUrl = new URL(launchUrl).searchParams.get("fetch");
      return fetchUrl ? new URL(fetchUrl).pathname : null;
    } catch (_) {
      return null;
    }
  }

  function markRegistration(data) {
    const sessions = Array.isArray(data.sessions) ? data.sessions : [];
    state.regFilter = {
      id: asText(data.id).toLowerCase(),
      principals: new Set(sessions.map((s) => `token:${asText(s.id)}`)),
      fetchPaths: new Set(sessions.map((s) => fetchPath(asText(s.launch_url))).filter(Boolean)),
    };
    applyFilter();
  }

  async function exportRegistration(id) {
    await download(`registrations/${encodeURIComponent(id)}/journal.ndjson`, `journal-${id}.ndjson`, "export-registration");
  }

  async function loadRegistration(reg) {
    const id = (reg || "").trim();
    if (!id) return;
    try {
      const data = await api("GET", `registrations/${encodeURIComponent(id)}`);
      clearMessage("registration");
      state.registration = id;
      state.regLoadedAt = Date.now();
      state.registrationData = data;
      renderRegistration(data);
      markRegistration(data);
    } catch (err) {
      report("registration", err);
    }
  }

  function verbsLine(s) {
    const verbs = Array.isArray(s.verbs) ? s.verbs : [];
    const refused = sessionRefusals(asText(s.id)).length;
    return el(
      "div",
      { cls: "verbs" },
      el("span", { cls: "muted", text: "Verbs " }),
      ...(verbs.length
        ? verbs.map((v) => el("span", { cls: "verb", text: shortVerb(v), title: asText(v) }))
        : [el("span", { cls: "muted", text: refused ? "none accepted" : "none yet" })]),
    );
  }

  function refusalsLine(s) {
    const refusals = sessionRefusals(asText(s.id));
    if (!refusals.length) return null;
    return el(
      "div",
      { cls: "session-refusals" },
      el("span", { cls: "muted", text: `Refused (${refusals.length}) ` }),
      el("ul", {}, ...refusals.map((line) => el("li", { cls: "refusal", text: line }))),
    );
  }

  function abandonButton(s) {
    const button = el("button", { cls: "abandon", text: "Abandon", title: "POST /api/sessions/ID/abandon: the LMS records the abandoned statement (cmi5 §9.3.8)", attrs: { type: "button" } });
    button.addEventListener("click", () => registrationAction(`sessions/${encodeURIComponent(asText(s.id))}/abandon`, `Session ${asText(s.id)} abandoned.`));
    return button;
  }

  function waiveButton(registration, number, auId) {
    const button = el("button", { cls: "waive", text: "Waive", title: "POST .../waive: the LMS records a waived statement (cmi5 §9.3.7)", attrs: { type: "button" } });
    button.addEventListener("click", () => registrationAction(`registrations/${encodeURIComponent(registration)}/aus/${number}/waive`, `${auTitle(auId)} waived.`, { mount: lastMount() }));
    return button;
  }

  function lastMount() {
    const data = state.registrationData;
    const sessions = data && Array.isArray(data.sessions) ? data.sessions : [];
    return sessions.length ? asText(sessions[sessions.length - 1].mount) : undefined;
  }

  // Waive, abandon, reset: one admin call, then the registration shown again.
  async function registrationAction(path, done, body) {
    try {
      await api("POST", path, body && Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)));
      showMessage("registration-action", done, "info");
    } catch (err) {
      report("registration-action", err);
    }
    if (state.registration) await loadRegistration(state.registration);
  }

  function table(headers, rows, cls) {
    return el(
      "table",
      { cls },
      el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { text: h })))),
      el("tbody", {}, ...rows),
    );
  }

  function renderRegistration(data) {
    const view = $("#reg-view");
    const sessions = Array.isArray(data.sessions) ? data.sessions : [];
    const sessionItems = sessions
      .slice()
      .reverse()
      .map((s) =>
        el(
          "li",
          { cls: `session state-${asText(s.state)}`, attrs: { "data-session": asText(s.id) } },
          el(
            "div",
            { cls: "session-head" },
            el("code", { cls: "session-id", text: s.id }),
            el("span", { cls: `badge state ${s.state === "launched" || s.state === "initialized" ? "ok" : ""}`, text: s.state }),
            el("span", { cls: "muted", text: `${asText(s.launch_mode)} / ${asText(s.profile)}` }),
            el("span", { cls: "muted", text: `mount ${asText(s.mount)}` }),
          ),
          el("div", { cls: "session-au" }, el("span", { cls: "muted", text: "AU " }), el("span", { text: auTitle(s.au_id), title: s.au_id })),
          verbsLine(s),
          refusalsLine(s),
          el(
            "div",
            { cls: "session-flags" },
            el("span", { cls: "muted", text: "fetch calls " }),
            el("strong", { cls: "fetch-calls", text: asText(s.fetch_calls) }),
            el("span", { cls: "muted", text: " · token fetched " }),
            flag(s.token_fetched),
            el("span", { cls: "muted", text: " · LaunchData read " }),
            flag(s.launch_data_fetched),
            el("span", { cls: "muted", text: " · preferences read " }),
            flag(s.prefs_fetched),
          ),
          s.state === "launched" || s.state === "initialized" ? abandonButton(s) : null,
        ),
      );
    const progress = data.progress && typeof data.progress === "object" ? data.progress : {};
    const notes = [];
    const progressRows = Object.entries(progress).map(([auId, p], number) => {
      const why = satisfiedReason(auId, p);
      if (why) notes.push(el("p", { cls: "muted satisfied-note", text: `${auTitle(auId)}: ${why}` }));
      return el(
        "tr",
        {},
        el("td", { text: auTitle(auId), title: auId }),
        el("td", {}, flag(p.completed)),
        el("td", {}, flag(p.passed)),
        el("td", {}, flag(p.waived)),
        el("td", { cls: "satisfied", title: why || "" }, flag(p.satisfied), why ? el("span", { cls: "why", text: " (moveOn NotApplicable)" }) : null),
        el("td", {}, p.waived ? null : waiveButton(asText(data.id), number, auId)),
      );
    });
    const permalink = el("a", { cls: "reg-permalink", text: "Permalink", attrs: { href: `/?registration=${encodeURIComponent(asText(data.id))}` } });
    const exportButton = el("button", { cls: "reg-export", text: "Export this registration (NDJSON)", attrs: { type: "button" } });
    exportButton.addEventListener("click", () => exportRegistration(asText(data.id)));
    const resetButton = el("button", { cls: "reg-reset", text: "Reset", title: "Forget this registration's sessions and progress (its statements stay); launch it again afterwards", attrs: { type: "button" } });
    resetButton.addEventListener("click", () => registrationAction(`registrations/${encodeURIComponent(asText(data.id))}/reset`, `Registration ${asText(data.id)} reset: its sessions and progress are forgotten.`));
    view.replaceChildren(
      el("div", { cls: "reg-tools" }, permalink, exportButton, resetButton),
      el(
        "dl",
        { cls: "kv" },
        el("dt", { text: "Registration" }),
        el("dd", {}, el("code", { cls: "reg-shown", text: data.id })),
        el("dt", { text: "Course" }),
        el("dd", {}, el("code", { text: data.course_id })),
        el("dt", { text: "Actor" }),
        el("dd", {}, el("code", { text: asText(data.actor) })),
      ),
      el("h3", { text: `Sessions (${sessions.length}, newest first)` }),
      sessions.length ? el("ol", { cls: "sessions" }, ...sessionItems) : el("p", { cls: "muted", text: "No session." }),
      el("h3", { text: "Progress per AU" }),
      table(["AU", "Completed", "Passed", "Waived", "Satisfied", ""], progressRows, "progress"),
      ...notes,
    );
  }

  // ---------------------------------------------------------------------------- live feed
  function ensureFeed(name) {
    if (state.feeds.has(name)) return state.feeds.get(name);
    const tab = el("button", {
      cls: "tab",
      attrs: { type: "button", role: "tab", "data-mount": name, "aria-selected": "false" },
    });
    const label = el("span", { text: name });
    const unread = el("span", { cls: "unread", text: "" });
    tab.append(label, unread);
    const list = el("ol", { cls: "feed", attrs: { "data-mount": name, "aria-label": `Journal of mount ${name}` } });
    const empty = el("p", { cls: "muted feed-empty", text: "No exchange yet on this mount." });
    const panel = el("div", { cls: "feed-panel", attrs: { role: "tabpanel", "data-mount": name } }, empty, list);
    panel.hidden = true;
    const feed = { mount: name, after: 0, tab, unread, unreadCount: 0, list, empty, panel };
    tab.addEventListener("click", () => selectMount(name));
    state.feeds.set(name, feed);
    $("#feed-tabs").append(tab);
    $("#feeds").append(panel);
    $("#filter-mount").append(el("option", { text: name, attrs: { value: name } }));
    if (!state.activeMount) selectMount(name);
    return feed;
  }

  function selectMount(name) {
    state.activeMount = name;
    $("#filter-mount").value = name;
    for (const feed of state.feeds.values()) {
      const active = feed.mount === name;
      feed.panel.hidden = !active;
      feed.tab.classList.toggle("active", active);
      feed.tab.setAttribute("aria-selected", active ? "true" : "false");
      if (active) {
        feed.unreadCount = 0;
        feed.unread.textContent = "";
      }
    }
    applyFilter();
  }

  function formatTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return asText(iso);
    const pad = (n, w = 2) => String(n).padStart(w, "0");
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  }

  function verdictClass(verdict) {
    const v = asText(verdict);
    if (["accepted", "stored", "merged", "deleted", "replaced"].includes(v)) return "ok";
    if (v === "refused" || v === "rejected") return "bad";
    if (v.startsWith("violation") || v.startsWith("not stored")) return "warn";
    return "neutral";
  }

  function verdictBadge(verdict) {
    return el("span", { cls: `badge verdict ${verdictClass(verdict)}`, text: asText(verdict) });
  }

  function isStatementRequest(entry) {
    return (entry.method === "POST" || entry.method === "PUT") && /\/statements\/?$/.test(entry.path || "");
  }

  function statementsOf(entry) {
    const text = entry.request_body || "";
    if (!text.trim()) return { statements: [], note: "empty body" };
    try {
      const body = JSON.parse(text);
      if (Array.isArray(body)) return { statements: body, note: null };
      if (body && typeof body === "object") return { statements: [body], note: null };
      return { statements: [], note: "body is JSON but not a statement" };
    } catch (_) {
      return { statements: [], note: "body is not plain JSON (multipart or cut short): see the request body" };
    }
  }

  function queryParam(query, name) {
    try {
      return new URLSearchParams(query || "").get(name);
    } catch (_) {
      return null;
    }
  }

  // A refusal is journaled twice: the cmi5 verdict (or the per-statement xAPI verdicts) and the
  // error response that carries the same violations. Show it once.
  function visibleVerdicts(verdicts) {
    const cmi5Lists = verdicts.filter((v) => Array.isArray(v.cmi5)).map((v) => JSON.stringify(v.cmi5));
    const perStatement = new Set(
      verdicts
        .filter((v) => "statement" in v && Array.isArray(v.violations))
        .flatMap((v) => v.violations.map((x) => JSON.stringify(x))),
    );
    return verdicts.filter((v) => {
      if (v.verdict !== "rejected" || "statement" in v || !Array.isArray(v.violations)) return true;
      if (cmi5Lists.includes(JSON.stringify(v.violations))) return false;
      return !(v.violations.length && v.violations.every((x) => perStatement.has(JSON.stringify(x))));
    });
  }

  function violationTable(list, cmi5) {
    if (cmi5) {
      return table(
        ["Row", "Requirement", "Rule", "Path", "Status"],
        list.map((x) =>
          el(
            "tr",
            {},
            el("td", { text: asText(x.row) }),
            el("td", {}, el("code", { cls: "requirement", text: asText(x.requirement) })),
            el("td", { cls: "rule", text: asText(x.rule) }),
            el("td", {}, el("code", { text: asText(x.path) })),
            el("td", { text: asText(x.status) }),
          ),
        ),
        "violations cmi5",
      );
    }
    return table(
      ["Path", "Rule", "Section"],
      list.map((x) =>
        el(
          "tr",
          {},
          el("td", {}, el("code", { text: asText(x.path) })),
          el("td", { cls: "rule", text: asText(x.rule) + (x.requirement ? ` [${asText(x.requirement)}]` : "") }),
          el("td", { text: asText(x.section) }),
        ),
      ),
      "violations",
    );
  }

  const VERDICT_KNOWN_KEYS = new Set(["verdict", "statement", "status", "what", "requirement", "rule", "section", "cmi5", "violations"]);

  function renderVerdict(v) {
    const head = el("div", { cls: "verdict-head" }, verdictBadge(v.verdict));
    if (v.statement) head.append(el("span", { cls: "muted", text: "statement " }), el("code", { text: asText(v.statement) }));
    if (v.what) head.append(el("span", { cls: "muted", text: `on ${asText(v.what)}` }));
    if (v.status) head.append(el("span", { cls: "muted", text: `HTTP ${asText(v.status)}` }));
    if (v.requirement) head.append(el("code", { cls: "requirement", text: asText(v.requirement) }));
    if (v.rule) head.append(el("span", { cls: "rule", text: asText(v.rule) }));
    if (v.section) head.append(el("span", { cls: "muted", text: `(${asText(v.section)})` }));
    const extra = Object.entries(v).filter(([k]) => !VERDICT_KNOWN_KEYS.has(k));
    for (const [k, value] of extra) head.append(el("span", { cls: "chip", text: `${k}=${asText(value)}` }));
    const box = el("div", { cls: `verdict-block ${verdictClass(v.verdict)}` }, head);
    if (Array.isArray(v.cmi5) && v.cmi5.length) box.append(violationTable(v.cmi5, true));
    if (Array.isArray(v.violations) && v.violations.length) {
      const cmi5Shaped = v.violations.every((x) => x && "requirement" in x && "row" in x);
      box.append(violationTable(v.violations, cmi5Shaped));
    }
    return box;
  }

  function statementRows(entry, statements, verdicts) {
    const own = verdicts.filter((v) => "statement" in v);
    const requestLevel = verdicts.filter((v) => !("statement" in v) && (v.cmi5 || v.violations));
    return statements.map((s, index) => {
      const isObj = s && typeof s === "object";
      let id = isObj ? s.id : undefined;
      if (!id && entry.method === "PUT") id = queryParam(entry.query, "statementId");
      let mine = id ? own.filter((v) => v.statement === id) : [];
      if (!mine.length && own.length === statements.length && own[index]) mine = [own[index]];
      const related = requestLevel.filter((v) => {
        const list = v.cmi5 || v.violations || [];
        return list.some((x) => {
          const path = asText(x && x.path);
          return !path.startsWith("$[") || path.startsWith(`$[${index}]`);
        });
      });
      const shown = [...mine, ...related];
      let badges = shown.map((v) => verdictBadge(v.verdict));
      if (!badges.length) {
        badges = [el("span", { cls: "muted", text: entry.status >= 400 ? "not stored" : "no verdict" })];
      }
      const verb = isObj && s.verb && typeof s.verb === "object" ? s.verb.id : isObj ? s.verb : undefined;
      return el(
        "tr",
        { cls: "stmt" },
        el("td", { text: String(index + 1) }),
        el("td", {}, el("code", { cls: "verb-id", text: verb === undefined ? "(no verb)" : asText(verb) })),
        el("td", {}, el("code", { cls: "stmt-id", text: id ? asText(id) : mine[0] && mine[0].statement ? asText(mine[0].statement) : "(no id)" })),
        el("td", { cls: "stmt-verdicts" }, ...badges),
      );
    });
  }

  // A cmi5 refusal of an enforce mount: the rule in words, and the way out (observe mode).
  function refusalHelp(entry, verdicts) {
    const broken = verdicts
      .filter((v) => v.verdict === "refused")
      .flatMap((v) => (Array.isArray(v.cmi5) ? v.cmi5 : Array.isArray(v.violations) ? v.violations : []))
      .filter((x) => x && x.requirement);
    if (!broken.length) return null;
    const mount = asText(entry.mount);
    const rules = broken.map((x) => `cmi5 ${asText(x.requirement)}: ${asText(x.rule)}`).join("; ");
    const button = el("button", {
      cls: "switch-observe",
      text: `Switch mount ${mount} to observe`,
      title: "PATCH the mount's mode: it then accepts such statements and journals the violation",
      attrs: { type: "button", "data-mount": mount },
    });
    button.hidden = mountMode(mount) !== "enforce";
    button.addEventListener("click", () => changeMount(mount, { mode: "observe" }));
    return el(
      "div",
      { cls: "refusal-help" },
      el("p", { cls: "refusal-rule", text: `Refused because mount ${mount} enforces the rule ${rules}.` }),
      el("p", { cls: "muted", text: "An observe mount accepts the statement and journals the violation instead (We Are's documented flow needs one)." }),
      button,
    );
  }

  function bodyDetails(label, text) {
    if (!text) return null;
    return el("details", { cls: "body" }, el("summary", { text: `${label} (${text.length} chars)` }), el("pre", { text }));
  }

  // An answer that looks like an error but is what the spec says to expect: drawn as "expected".
  function expectedReason(entry, status) {
    const prefs = /\/agents\/profile\/?$/.test(entry.path || "") && queryParam(entry.query, "profileId") === "cmi5LearnerPreferences";
    if (entry.method === "GET" && status === 404 && prefs) {
      return "no learner preferences stored yet: cmi5 §11, the AU must tolerate this 404 and use its defaults; it counts as reading them (11.0.0.0-3)";
    }
    return null;
  }

  function renderEntry(entry) {
    const status = Number(entry.status) || 0;
    const expected = expectedReason(entry, status);
    const statusCls = expected ? "expected" : `s${Math.floor(status / 100)}xx`;
    // An expected answer's "not found" verdict is replaced by the reason it is expected.
    const verdicts = expected ? [] : visibleVerdicts(Array.isArray(entry.verdicts) ? entry.verdicts : []);
    const path = entry.query ? `${asText(entry.path)}?${asText(entry.query)}` : asText(entry.path);
    const head = el(
      "div",
      { cls: "entry-head" },
      el("span", { cls: "time", text: formatTime(entry.at), title: asText(entry.at) }),
      el("span", { cls: "method", text: entry.method }),
      el("code", { cls: "path", text: path }),
      el("span", { cls: `badge status ${statusCls}`, text: String(status), title: expected || "" }),
      el("span", { cls: "muted", text: `${asText(entry.duration_ms)} ms · #${asText(entry.seq)}` }),
    );
    const li = el("li", { cls: `entry ${statusCls}`, attrs: { "data-seq": asText(entry.seq) } }, head);
    const help = refusalHelp(entry, verdicts); // first: the rule broken and the way out
    if (help) li.append(help);
    let rest = verdicts;
    if (isStatementRequest(entry)) {
      const { statements, note } = statementsOf(entry);
      if (statements.length) {
        li.append(table(["#", "Verb id", "Statement id", "Verdict"], statementRows(entry, statements, verdicts), "statements"));
        // Per-statement accepted verdicts are already in the table; detail the others.
        rest = verdicts.filter((v) => !(v.verdict === "accepted" && "statement" in v));
      } else if (note) {
        li.append(el("p", { cls: "muted", text: note }));
      }
    }
    if (rest.length) li.append(el("div", { cls: "verdicts" }, ...rest.map(renderVerdict)));
    if (expected) {
      const why = el("div", { cls: "verdict-head" }, el("span", { cls: "badge verdict expected", text: "expected" }), el("span", { cls: "rule", text: expected }));
      li.append(el("div", { cls: "verdicts" }, el("div", { cls: "verdict-block expected" }, why)));
    }
    li.feedFacts = entryFacts(entry, status, !!expected);
    li.append(...[bodyDetails("Request body", entry.request_body), bodyDetails("Response body", entry.response_body)].filter(Boolean));
    return li;
  }

  // ---------------------------------------------------------------------------- feed filter
  // What the filter matches an entry on, worked out once when it is drawn.
  function entryFacts(entry, status, expected) {
    const verdicts = expected ? ["expected"] : (Array.isArray(entry.verdicts) ? entry.verdicts : []).map((v) => asText(v && v.verdict));
    const verbs = isStatementRequest(entry)
      ? statementsOf(entry).statements.map((s) => asText(s && typeof s === "object" && s.verb && typeof s.verb === "object" ? s.verb.id : ""))
      : [];
    const text = [entry.method, entry.path, entry.query, status, entry.request_body, entry.response_body, JSON.stringify(entry.verdicts)]
      .map(asText)
      .join("\n")
      .toLowerCase();
    return {
      verdicts,
      verbs: verbs.map((v) => v.toLowerCase()),
      text,
      error: status >= 400 && !expected,
      principal: asText(entry.principal),
      path: asText(entry.path),
      named: [entry.query, entry.request_body].map(asText).join("\n").toLowerCase(),
      refusal: status >= 400 && !expected ? refusalLine(entry, status, verbs) : null,
    };
  }

  // "POST statements (completed) → 403 cmi5 11.0.0.0-3, 9.3.0.0-4": for the session card.
  function refusalLine(entry, status, verbs) {
    const what = asText(entry.path).split("/").filter(Boolean).slice(-1)[0] || asText(entry.path);
    const names = verbs.filter(Boolean).map(shortVerb);
    const rules = (Array.isArray(entry.verdicts) ? entry.verdicts : [])
      .flatMap((v) => (Array.isArray(v && v.cmi5) ? v.cmi5 : Array.isArray(v && v.violations) ? v.violations : []))
      .map((x) => asText(x && x.requirement))
      .filter(Boolean);
    const why = rules.length ? ` cmi5 ${Array.from(new Set(rules)).join(", ")}` : "";
    return `${asText(entry.method)} ${what}${names.length ? ` (${names.join(", ")})` : ""} → ${status}${why}`;
  }

  // The refused requests made with a session's auth-token, newest first, from the feed's entries.
  function sessionRefusals(sessionId) {
    const principal = `token:${sessionId}`;
    const found = [];
    for (const feed of state.feeds.values()) {
      for (const li of feed.list.children) {
        if (li.feedFacts && li.feedFacts.principal === principal && li.feedFacts.refusal) found.push(li.feedFacts.refusal);
      }
    }
    return found;
  }

  function matchesVerdict(facts, wanted) {
    if (!wanted) return true;
    if (wanted === "error") return facts.error;
    if (wanted === "violation") return facts.verdicts.some((v) => v.startsWith("violation"));
    return facts.verdicts.includes(wanted);
  }

  function currentFilter() {
    const registration = $("#filter-registration").value.trim().toLowerCase();
    const marks = state.regFilter && state.regFilter.id === registration ? state.regFilter : { principals: new Set(), fetchPaths: new Set() };
    return {
      registration: registration ? { id: registration, ...marks } : null,
      verdict: $("#filter-verdict").value,
      verb: $("#filter-verb").value.trim().toLowerCase(),
      text: $("#filter-text").value.trim().toLowerCase(),
    };
  }

  function matches(facts, filter) {
    if (!facts) return true;
    if (!matchesVerdict(facts, filter.verdict)) return false;
    if (filter.verb && !facts.verbs.some((v) => v.includes(filter.verb))) return false;
    if (filter.registration && !ofRegistration(facts, filter.registration)) return false;
    return !filter.text || facts.text.includes(filter.text);
  }

  // An exchange of the registration: made with one of its sessions' auth-tokens, a call of one of
  // their fetch URLs, or a request naming it (fake_lms/registration_journal.py, the same rule).
  function ofRegistration(facts, reg) {
    return reg.principals.has(facts.principal) || reg.fetchPaths.has(facts.path) || facts.named.includes(reg.id);
  }

  function applyFilter() {
    const filter = currentFilter();
    const active = !!(filter.verdict || filter.verb || filter.text || filter.registration);
    for (const feed of state.feeds.values()) {
      let shown = 0;
      for (const li of feed.list.children) {
        li.hidden = !matches(li.feedFacts, filter);
        if (!li.hidden) shown += 1;
      }
      if (feed.mount === state.activeMount) {
        $("#filter-count").textContent = active ? `${shown} of ${feed.list.childElementCount} shown` : "";
      }
    }
  }

  async function download(path, filename, key) {
    try {
      const text = await api("GET", path, undefined, { raw: true });
      clearMessage(key);
      const url = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
      const link = el("a", { attrs: { href: url, download: filename } });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      report(key, err);
    }
  }

  async function exportJournal() {
    const mount = state.activeMount;
    if (mount) await download(`mounts/${encodeURIComponent(mount)}/journal.ndjson`, `journal-${mount}.ndjson`, "export");
  }

  function addEntries(feed, entries) {
    for (const entry of entries) {
      feed.list.prepend(renderEntry(entry));
      if (Number(entry.seq) > feed.after) feed.after = Number(entry.seq);
    }
    while (feed.list.childElementCount > MAX_ENTRIES) feed.list.lastElementChild.remove();
    feed.empty.hidden = feed.list.childElementCount > 0;
    if (entries.length) applyFilter();
    if (entries.length && feed.mount !== state.activeMount) {
      feed.unreadCount += entries.length;
      feed.unread.textContent = ` ${feed.unreadCount > 999 ? "999+" : feed.unreadCount}`;
    }
  }

  function paused() {
    return $("#feed-pause").checked;
  }

  function setFeedStatus(text) {
    $("#feed-status").textContent = text;
  }

  function stopPolling() {
    clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }

  function schedulePoll(delay) {
    stopPolling();
    if (!state.connected) return setFeedStatus("not connected");
    if (paused()) return setFeedStatus("paused");
    if (document.hidden) return setFeedStatus("stopped while the tab is hidden");
    state.pollTimer = setTimeout(pollOnce, delay);
  }

  async function pollOnce() {
    state.pollTimer = null;
    if (state.polling || !state.connected) return;
    state.polling = true;
    let more = false;
    let got = 0;
    let failed = false;
    try {
      for (const feed of Array.from(state.feeds.values())) {
        const key = `poll:${feed.mount}`;
        try {
          const data = await api("GET", `mounts/${encodeURIComponent(feed.mount)}/journal?after=${feed.after}&limit=${PAGE}`);
          clearMessage(key);
          const entries = Array.isArray(data && data.entries) ? data.entries : [];
          addEntries(feed, entries);
          got += entries.length;
          if (entries.length >= PAGE) more = true;
        } catch (err) {
          failed = true;
          if (err instanceof ApiError && err.isAuth) {
            authFailed(err);
            return;
          }
          showMessage(key, `Live feed of mount ${feed.mount}: ${err.message}`);
        }
      }
      state.ticks += 1;
      if (got) state.mountsDirty = true;
      if (state.ticks % MOUNT_REFRESH_TICKS === 0 || (state.mountsDirty && state.ticks % 3 === 0)) {
        state.mountsDirty = false;
        try {
          applyMounts(await api("GET", "mounts"));
          clearMessage("mounts");
        } catch (err) {
          report("mounts", err);
        }
      }
      // New exchanges may have moved the shown registration on: reload it, at most every 2 s.
      if (got) state.regDirty = true;
      if (state.regDirty && state.registration && Date.now() - state.regLoadedAt >= REG_REFRESH_MS) {
        state.regDirty = false;
        await loadRegistration(state.registration);
      }
    } finally {
      state.polling = false;
    }
    if (!state.connected) return;
    state.pollErrors = failed ? state.pollErrors + 1 : 0;
    const delay = failed ? Math.min(POLL_MS * 2 ** state.pollErrors, MAX_BACKOFF_MS) : more ? 0 : POLL_MS;
    schedulePoll(delay);
    if (failed && state.pollTimer) setFeedStatus(`error; retrying in ${Math.round(delay / 1000)} s`);
    else if (state.pollTimer) setFeedStatus(`live · polling every ${POLL_MS / 1000} s · last ${formatTime(new Date().toISOString())}`);
  }

  // ---------------------------------------------------------------------------- wiring
  function init() {
    $("#base-url").textContent = window.location.origin;
    $("#key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("#api-key");
      const key = input.value.trim();
      input.value = "";
      if (!key.includes(":")) {
        showMessage("auth", "The API key is USER:SECRET, as printed by weare-harness serve.");
        return;
      }
      logIn(key);
    });
    $("#forget-key").addEventListener("click", async () => {
      state.connected = false;
      stopPolling();
      try {
        await api("DELETE", "session");
      } catch (err) {
        showMessage("auth", `Log out: ${err.message}`);
      }
      askForKey();
      $("#api-key").focus();
    });
    $("#au-form").addEventListener("submit", registerAu);
    $("#reload-aus").addEventListener("click", loadAus);
    $("#reg-form").addEventListener("submit", (event) => {
      event.preventDefault();
      followRegistration($("#reg-id").value);
    });
    $("#feed-pause").addEventListener("change", () => schedulePoll(0));
    for (const id of ["#filter-verdict", "#filter-verb", "#filter-text", "#filter-registration"]) $(id).addEventListener("input", applyFilter);
    $("#filter-mount").addEventListener("change", () => {
      selectMount($("#filter-mount").value);
    });
    $("#feed-export").addEventListener("click", exportJournal);
    $("#feed-filter").addEventListener("submit", (event) => event.preventDefault());
    $("#feed-clear").addEventListener("click", () => {
      const feed = state.feeds.get(state.activeMount);
      if (feed) {
        feed.list.replaceChildren();
        feed.empty.hidden = false;
      }
    });
    document.addEventListener("visibilitychange", () => schedulePoll(0));
    resume();
  }

  init();
})();
