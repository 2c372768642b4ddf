// Quickstart (TypeScript): parse a resume, post a job, see how well they fit
// and what the candidate should earn.
//
//   npm install          # installs mismatch-recruiter from ../../sdk-js
//   MISMATCH_BASE_URL=http://127.0.0.1:8080 MISMATCH_API_KEY=mm_... npx tsx quickstart.ts
import {
  Client,
  NotFoundError,
  type Candidate,
  type InterceptedResponse,
  type Job,
  type Match,
  type SalaryPrediction,
} from 'mismatch-recruiter';

const baseUrl = process.env.MISMATCH_BASE_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.MISMATCH_API_KEY;
if (!apiKey) {
  console.error('set MISMATCH_API_KEY to a recruiter or admin API key');
  process.exit(2);
}

const client = new Client({ baseUrl, apiKey, timeoutMs: 10_000, maxRetries: 2 });
// Log every call: interceptors see the outcome, retries included.
client.use({
  onResponse(res: InterceptedResponse) {
    const ms = res.durationMs.toFixed(1);
    console.log(`  ${res.method} ${res.path} -> ${res.status ?? 'no answer'} in ${ms} ms (attempts ${res.attempts})`);
  },
});

const resume = `Jane Example
Senior Backend Engineer, 7 years of experience.
Built Python services on PostgreSQL, deployed with Docker and Kubernetes (k8s).
Skills: Python, Django, PostgreSQL, Redis, Kubernetes, AWS.`;

const candidate: Candidate = await client.createCandidate({ text: resume, name: 'Jane Example' });
console.log(`candidate ${candidate.id}: ${candidate.skills.map((skill) => skill.name).join(', ')}`);

const job: Job = await client.createJob({
  title: `Backend engineer ${Date.now()}`,
  description: 'Python and PostgreSQL services on Kubernetes.',
  required_skills: ['Python', 'PostgreSQL', 'Kubernetes'],
});
console.log(`job ${job.id}: ${job.title}`);

const match: Match = await client.createMatch({ candidate_id: candidate.id, job_id: job.id });
console.log(`match: score ${match.score} (${match.verdict}), missing: ${match.missing_required_skills.join(', ') || 'nothing'}`);

const salary: SalaryPrediction = await client.predictSalary({ candidate_id: candidate.id });
console.log(`salary: ${salary.low} <= ${salary.expected} <= ${salary.high} ${salary.currency}`);

try {
  await client.getCandidate('cand_does_not_exist');
} catch (err) {
  if (!(err instanceof NotFoundError)) throw err;
  console.log(`missing candidate: ${err.status} ${err.code} (request ${err.requestId})`);
}
console.log('quickstart (TypeScript) done');
