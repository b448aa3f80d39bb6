// Drives the fake LMS with the third-party @xapi/xapi client: statements and a state document.
// Usage: ENDPOINT=http://127.0.0.1:PORT/xapi/default/ AUTH="Basic ..." node xapi_roundtrip.cjs
const XAPI = require("@xapi/xapi");

async function main() {
  const xapi = new XAPI({ endpoint: process.env.ENDPOINT, auth: process.env.AUTH, version: "1.0.3" });
  const actor = { objectType: "Agent", account: { homePage: "https://lms.example.com", name: "interop-1" } };
  const activityId = "https://weare.example.com/stories/interop";
  const statement = {
    actor,
    verb: XAPI.Verbs.COMPLETED,
    object: { objectType: "Activity", id: activityId, definition: { type: "http://adlnet.gov/expapi/activities/lesson" } },
    timestamp: new Date().toISOString(),
  };
  const sent = await xapi.sendStatement({ statement });
  const id = sent.data[0];
  const one = await xapi.getStatement({ statementId: id });
  const many = await xapi.getStatements({ activity: activityId, limit: 10 });
  await xapi.setState({ agent: actor, activityId, stateId: "bookmark", state: { page: 3 } });
  const state = await xapi.getState({ agent: actor, activityId, stateId: "bookmark" });
  const states = await xapi.getStates({ agent: actor, activityId });
  const about = await xapi.getAbout();
  console.log(JSON.stringify({
    id,
    readBackId: one.data.id,
    readBackVerb: one.data.verb.id,
    listed: many.data.statements.map((s) => s.id),
    state: state.data,
    states: states.data,
    versions: about.data.version,
  }));
}

main().catch((err) => {
  const r = err.response;
  console.error("interop failure:", err.message, r ? JSON.stringify({ status: r.status, data: r.data }) : "");
  process.exit(1);
});
