// Drives the official @cognigy/rest-api-client against a served Cognigy.AI emulator through
// every call the cogctl backend makes, and asserts on what the client returns.
// Usage: NODE_PATH=<dir with node_modules> node client_conformance.js <baseUrl> <apiKey>
"use strict";
const assert = require("node:assert/strict");
const { RestAPIClient } = require("@cognigy/rest-api-client");

const [baseUrl, apiKey] = process.argv.slice(2);
const client = new RestAPIClient({ baseUrl, maxRetries: 0 });
client.setCredentials({ type: "ApiKey", apiKey });
const calls = [];

async function call(name, args) {
  const result = await client[name](args);
  calls.push(name);
  return result;
}

async function until(taskId, projectId) {
  for (let i = 0; i < 200; i++) {
    const task = await call("readTask", { taskId, projectId });
    if (!["queued", "active"].includes(task.status)) return task;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`task ${taskId} did not end`);
}

async function main() {
  const me = await call("readUserMe");
  assert.match(me._id, /^[0-9a-f]{24}$/);

  const projects = await call("indexProjects", { limit: 100 });
  assert.deepEqual(Object.keys(projects).sort(), ["items", "nextCursor", "previousCursor", "total"]);
  const project = projects.items.find((p) => p.name === "Customer Support");
  const projectId = project._id;
  assert.equal((await call("readProject", { projectId })).name, "Customer Support");

  const locales = await call("indexLocales", { projectId });
  const locale = locales.items.find((l) => l.primary);
  assert.equal((await call("readLocale", { localeId: locale._id })).referenceId, locale.referenceId);

  const flows = await call("indexFlows", { projectId, sort: { name: "asc" }, limit: 100 });
  const main = flows.items.find((f) => f.name === "Main");
  const flow = await call("readFlow", { flowId: main._id, includeFeedbackReport: true,
                                        preferredLocaleId: locale._id });
  assert.deepEqual(flow.context, { language: "en" });

  // The state flow: create, write context, read back, delete.
  const stateFlow = await call("createFlow", { projectId, name: "cogctl-state", context: {} });
  assert.equal(stateFlow.name, "cogctl-state");
  assert.deepEqual(await call("updateFlow", { flowId: stateFlow._id, context: { format: 1 } }), {});
  const reread = await call("readFlow", { flowId: stateFlow._id });
  assert.deepEqual(reread.context, { format: 1 });
  assert.ok(reread.lastChanged > stateFlow.lastChanged);

  // Slot fillers.
  const filler = await call("createSlotFiller", {
    flowId: main._id, name: "order_number", type: "regex",
    regex: "/(?:\\bORD-\\d{6}\\b)|(?:\\b\\d{8}\\b)/g", contextKey: "order_number",
    storeResultInContext: true, referenceId: "3f0e8a4e-2c55-5b8e-9d1e-7b7f3a9c1d20" });
  assert.equal(filler.referenceId, "3f0e8a4e-2c55-5b8e-9d1e-7b7f3a9c1d20");
  const fillers = await call("indexSlotFillers", { flowId: main._id, limit: 100, skip: 0,
                                                   sort: { name: "asc" } });
  assert.equal(fillers.total, 1);
  assert.deepEqual(await call("updateSlotFiller", { flowId: main._id, slotFillerId: filler._id,
                                                    skipIfResultInContext: false }), {});
  assert.equal((await call("readSlotFiller", { flowId: main._id, slotFillerId: filler._id }))
    .skipIfResultInContext, false);
  assert.equal((await call("readFlow", { flowId: main._id })).isTrainingOutOfDate, true);

  // Lexicons, lexicon slots and entries; attach to the flow for the locale.
  const lexicon = await call("createLexicon", { projectId, name: "coupons", description: "cogctl" });
  assert.equal((await call("indexLexicons", { projectId })).total, 1);
  assert.deepEqual(await call("updateLexicon", { lexiconId: lexicon._id, description: "x" }), {});
  assert.equal((await call("readLexicon", { lexiconId: lexicon._id })).description, "x");
  const slot = await call("createLexiconSlot", { lexiconId: lexicon._id, name: "coupon" });
  assert.equal((await call("indexLexiconSlots", { lexiconId: lexicon._id })).items[0].name, "coupon");
  assert.deepEqual(await call("updateLexiconSlot", { lexiconId: lexicon._id, slotId: slot._id,
                                                     name: "coupon" }), {});
  const entry = await call("createLexiconEntry", {
    lexiconId: lexicon._id, mainKeyphrase: "SPRING10", slotReferences: [slot._id], data: "{}",
    keyphrases: [{ value: "spring ten", isMainKeyphrase: false }] });
  assert.equal(entry.mainKeyphrase, "SPRING10");
  assert.equal((await call("indexLexiconEntries", { lexiconId: lexicon._id })).total, 1);
  assert.deepEqual(await call("updateLexiconEntry", { lexiconId: lexicon._id, entryId: entry._id,
                                                      data: "{\"x\":1}" }), {});
  assert.deepEqual(await call("updateFlow", { flowId: main._id, attachedLexicons: [lexicon._id],
                                              localeId: locale._id }), {});
  await call("createSlotFiller", { flowId: main._id, name: "coupon_code", type: "slot",
                                   slot: "coupon", contextKey: "coupon_code" });

  // Chart and chart nodes (an HTTP Request node after the start node).
  const chart = await call("readChart", { resourceId: main._id, resourceType: "flow" });
  const start = chart.nodes.find((n) => n.type === "start");
  const node = await call("createChartNode", {
    resourceId: main._id, resourceType: "flow", type: "httpRequest",
    extension: "@cognigy/basic-nodes", label: "crm_lookup", mode: "append", target: start._id,
    config: { type: "GET", url: "https://crm.example.com/orders" } });
  assert.equal(node.lastChanged, undefined);
  const nodes = await call("indexChartNodes", { resourceId: main._id, resourceType: "flow" });
  assert.ok(nodes.items.some((n) => n._id === node._id));
  assert.deepEqual(await call("updateChartNode", { resourceId: main._id, resourceType: "flow",
                                                   nodeId: node._id, isDisabled: true,
                                                   localeId: locale._id }), {});
  assert.equal((await call("readChartNode", { resourceId: main._id, resourceType: "flow",
                                              nodeId: node._id })).isDisabled, true);

  // Connections: fields are write-only.
  const connection = await call("createConnection", {
    projectId, name: "crm_api_key", type: "http_apiKeyXKey", extension: "@cognigy/basic-nodes",
    fields: { authApiKey: "s3cret" } });
  assert.equal((await call("indexConnections", { projectId })).total, 1);
  assert.deepEqual(await call("updateConnection", { connectionId: connection._id,
                                                    fields: { authApiKey: "n3w" } }), {});
  assert.notEqual((await call("readConnection", { connectionId: connection._id })).fields
    .authApiKey, "n3w");
  assert.ok((await call("indexConnectionSchemas", { projectId })).items.length >= 4);

  // Intents (read), training, tasks.
  const intents = await call("indexIntents", { flowId: main._id, includeFeedbackReport: true });
  assert.ok(intents.items.some((i) => i.name === "order_status"));
  assert.equal((await call("readIntent", { flowId: main._id, intentId: intents.items[0]._id }))
    .name, intents.items[0].name);
  const training = await call("trainIntents", { flowId: main._id, localeId: locale._id,
                                                mode: "full" });
  assert.equal(training.status, "queued");
  assert.equal((await until(training._id, projectId)).status, "done");
  const trained = await call("readFlow", { flowId: main._id, includeFeedbackReport: true });
  assert.equal(trained.isTrainingOutOfDate, false);
  assert.ok(trained.feedbackReport.info.accuracy > 0);
  const all = await call("trainAllProjectFlows", { projectId });
  assert.equal((await until(all._id, projectId)).status, "done");
  assert.ok((await call("indexTasks", { projectId })).total >= 2);

  // Playbooks: steps, asserts, schedule, run.
  const playbook = await call("createPlaybook", { projectId, name: "cogctl:support:smoke",
                                                  abortOnError: false, timeout: 20000 });
  assert.deepEqual(playbook.steps, []);
  assert.equal((await call("indexPlaybooks", { projectId })).total, 1);
  const step = await call("createPlaybookStep", { playbookId: playbook._id,
                                                  text: "where is my order ORD-123456", data: {} });
  const intentAssert = await call("createPlaybookStepAssert", {
    playbookId: playbook._id, stepId: step._id, type: "assertIntent",
    params: { intent: "order_status", negate: false } });
  await call("createPlaybookStepAssert", { playbookId: playbook._id, stepId: step._id,
    type: "assertSlot", params: { slot: "order_number", negate: false } });
  await call("createPlaybookStepAssert", { playbookId: playbook._id, stepId: step._id,
    type: "assertContext", params: { data: { order_number: "ORD-123456" }, partial: true,
                                     negate: false } });
  assert.deepEqual(await call("updatePlaybookStepAssert", {
    playbookId: playbook._id, stepId: step._id, assertId: intentAssert._id,
    params: { intent: "order_status", negate: false } }), {});
  assert.deepEqual(await call("updatePlaybookStep", { playbookId: playbook._id, stepId: step._id,
                                                      text: "where is my order ORD-123456" }), {});
  assert.deepEqual(await call("updatePlaybook", { playbookId: playbook._id, timeout: 10000 }), {});
  const extra = await call("createPlaybookStep", { playbookId: playbook._id, text: "bye" });
  await call("deletePlaybookStep", { playbookId: playbook._id, stepId: extra._id });
  assert.equal((await call("readPlaybook", { playbookId: playbook._id })).steps.length, 1);
  const scheduled = await call("schedulePlaybook", { playbookId: playbook._id,
    entrypoint: projectId, flowId: trained.referenceId, localeId: locale.referenceId });
  const runTask = await until(scheduled._id, projectId);
  assert.equal(runTask.status, "done");
  const run = await call("readPlaybookRun", { playbookId: playbook._id,
                                              playbookRunId: runTask.data.playbookRunId });
  assert.equal(run.status, "successful");
  assert.deepEqual(run.stepResults[0].asserts.map((a) => a.status),
                   ["successful", "successful", "successful"]);
  assert.equal((await call("indexPlaybookRuns", { playbookId: playbook._id })).total, 1);
  await call("deletePlaybookStepAssert", { playbookId: playbook._id, stepId: step._id,
                                           assertId: intentAssert._id });
  await call("deletePlaybookRun", { playbookId: playbook._id, playbookRunId: run._id });

  // Session context and profiles.
  const injected = await call("injectContext", { sessionId: "sess_demo_1", userId: "user-42",
                                                 context: { order_number: "ORD-1" } });
  assert.equal(injected.order_number, "ORD-1");
  const reset = await call("resetContext", { sessionId: "sess_demo_1", userId: "user-42",
    flowReferenceId: trained.referenceId, entrypoint: projectId });
  assert.deepEqual(reset, { language: "en" });
  const profiles = await call("indexProfiles", { projectId });
  assert.equal((await call("readProfile", { profileId: profiles.items[0]._id })).contactIds[0],
               "user-42");
  const details = [{ field: "Tier", internal: "customer_tier", type: "string" }];
  await call("setProfileSchema", { projectId, details });
  assert.deepEqual((await call("getProfileSchema", { projectId })).details, details);

  // Snapshots: create, find, restore (new _ids, kept referenceIds), delete.
  const snapTask = await call("createSnapshot", { projectId, name: "cogctl-pre-1",
                                                  description: "safety" });
  await until(snapTask._id, projectId);
  const snapshots = await call("indexSnapshots", { projectId });
  const snapshot = snapshots.items.find((s) => s.name === "cogctl-pre-1");
  assert.equal((await call("readSnapshot", { snapshotId: snapshot._id })).name, "cogctl-pre-1");
  await call("deleteSlotFiller", { flowId: main._id, slotFillerId: filler._id });
  const restoreTask = await call("restoreSnapshot", { snapshotId: snapshot._id });
  assert.equal((await until(restoreTask._id, projectId)).status, "done");
  const restored = (await call("indexFlows", { projectId })).items.find((f) => f.name === "Main");
  assert.notEqual(restored._id, main._id);
  assert.equal(restored.referenceId, main.referenceId);
  const back = await call("indexSlotFillers", { flowId: restored._id });
  assert.ok(back.items.some((f) => f.referenceId === filler.referenceId));
  await until((await call("deleteSnapshot", { snapshotId: snapshot._id }))._id, projectId);

  // Deletes, and the client's error classes for 404 and 401.
  const restoredLexicon = (await call("indexLexicons", { projectId })).items[0];
  const restoredEntry = (await call("indexLexiconEntries", { lexiconId: restoredLexicon._id })).items[0];
  await call("deleteLexiconEntry", { lexiconId: restoredLexicon._id, entryId: restoredEntry._id });
  const restoredSlot = (await call("indexLexiconSlots", { lexiconId: restoredLexicon._id })).items[0];
  await call("deleteLexiconSlot", { lexiconId: restoredLexicon._id, slotId: restoredSlot._id });
  const restoredNodes = await call("indexChartNodes", { resourceId: restored._id, resourceType: "flow" });
  const http = restoredNodes.items.find((n) => n.type === "httpRequest");
  await call("deleteChartNode", { resourceId: restored._id, resourceType: "flow", nodeId: http._id });
  const restoredFiller = back.items[0];
  await call("deleteSlotFiller", { flowId: restored._id, slotFillerId: restoredFiller._id });
  await call("deleteLexicon", { lexiconId: restoredLexicon._id });
  const restoredConnection = (await call("indexConnections", { projectId })).items[0];
  await call("deleteConnection", { connectionId: restoredConnection._id });
  const restoredPlaybook = (await call("indexPlaybooks", { projectId })).items[0];
  await call("deletePlaybook", { playbookId: restoredPlaybook._id });
  const restoredState = (await call("indexFlows", { projectId, filter: "cogctl-state" })).items[0];
  await call("deleteFlow", { flowId: restoredState._id });
  await assert.rejects(call("readFlow", { flowId: restoredState._id }),
                       (err) => err.constructor.name === "ResourceNotFoundError");
  const stranger = new RestAPIClient({ baseUrl, maxRetries: 0 });
  stranger.setCredentials({ type: "ApiKey", apiKey: "not-a-key" });
  await assert.rejects(stranger.readUserMe(), (err) => err.constructor.name === "UnauthorizedError");
  process.stdout.write(JSON.stringify({ ok: true, calls: [...new Set(calls)].sort() }) + "\n");
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n${JSON.stringify(err, null, 1)}\n`);
  process.exit(1);
});
