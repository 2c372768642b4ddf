// Quickstart (plain JavaScript, Node): the same story as quickstart.ts.
//
//   MISMATCH_BASE_URL=http://127.0.0.1:8080 MISMATCH_API_KEY=mm_... node quickstart.mjs
import { Client, NotFoundError } from 'mismatch-recruiter';

if (!process.env.MISMATCH_BASE_URL || !process.env.MISMATCH_API_KEY) {
  console.error('set MISMATCH_BASE_URL to the API and MISMATCH_API_KEY to a recruiter or admin API key');
  process.exit(2);
}

// In Node, baseUrl and apiKey default to MISMATCH_BASE_URL and MISMATCH_API_KEY.
const client = new Client({
  interceptors: [
    {
      // Tag every request, e.g. for tracing across services.
      onRequest(req) {
        req.headers['x-example'] = 'quickstart.mjs';
      },
      onResponse(res) {
        console.log(`  ${res.operationId}: ${res.status} in ${res.durationMs.toFixed(1)} ms, request ${res.requestId}`);
      },
    },
  ],
});

const live = await client.getLiveness();
console.log(`server is ${live.status}`);

const candidate = await client.createCandidate({
  text: 'Sam Example. Data engineer, 4 years. Python, PostgreSQL, Airflow, Kubernetes.',
});
console.log(`candidate ${candidate.id}: ${candidate.skills.map((skill) => skill.name).join(', ')}`);

const page = await client.listCandidates({ limit: 5 });
console.log(`first page: ${page.items.length} candidates, next cursor ${page.next_cursor ?? 'none'}`);

try {
  await client.getCandidate('cand_does_not_exist');
} catch (err) {
  if (!(err instanceof NotFoundError)) throw err;
  console.log(`missing candidate: ${err.status} ${err.code}`);
}
console.log('quickstart (JavaScript) done');
