// Reads Clearhouse's FHIR R4 API with fhir-kit-client, as an EHR would.
// Usage: node client.mjs BASE-URL TOKEN < plan.json
// The plan is a JSON array of steps: {"op": "metadata"}, {"op": "read",
// "type": T, "id": ID}, {"op": "search", "type": T, "params": {...}}; a
// step may carry "token" to use another bearer token. Prints one JSON
// result per step: what came back, or the HTTP status of the refusal.
import { Client, CapabilityTool } from 'fhir-kit-client';

const [baseUrl, token] = process.argv.slice(2);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const plan = JSON.parse(input);

const results = [];
for (const step of plan) {
  const client = new Client({ baseUrl, bearerToken: step.token ?? token });
  try {
    if (step.op === 'metadata') {
      const cs = await client.capabilityStatement();
      const tool = new CapabilityTool(cs);
      results.push({
        resourceType: cs.resourceType,
        fhirVersion: cs.fhirVersion,
        claimSearch: tool.resourceCan('Claim', 'search-type'),
        eobRead: tool.resourceCan('ExplanationOfBenefit', 'read'),
      });
    } else if (step.op === 'read') {
      const r = await client.read({ resourceType: step.type, id: step.id });
      results.push({ resourceType: r.resourceType, id: r.id, status: r.status ?? null, outcome: r.outcome ?? null });
    } else if (step.op === 'search') {
      const b = await client.search({ resourceType: step.type, searchParams: step.params ?? {} });
      results.push({
        resourceType: b.resourceType,
        type: b.type,
        total: b.total,
        ids: (b.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`),
      });
    } else {
      results.push({ error: `unknown op ${step.op}` });
    }
  } catch (err) {
    const httpStatus = err?.response?.status;
    // The message names the server's (random) port: only the status is kept.
    results.push(httpStatus ? { httpStatus } : { error: String(err?.message ?? err) });
  }
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
