// The end-to-end story against a live server, shared by the Node build
// (test/e2e.test.mjs) and the browser build (test/browser.test.mjs, where it
// runs inside headless Chromium). It only uses the public SDK API, returns
// plain JSON facts, and `checkScenario` asserts on them in Node.
//
// env: { baseUrl, flakyUrl, adminKey, resumeText, resumePdf: Uint8Array, stamp }

function errorFacts(sdk, err) {
  return {
    name: err?.name ?? null,
    message: err?.message ?? String(err),
    status: err?.status ?? null,
    code: err?.code ?? null,
    requestId: err?.requestId ?? null,
    attempts: err?.attempts ?? null,
    isMismatchError: err instanceof sdk.MismatchError,
    isNotFoundError: err instanceof sdk.NotFoundError,
    isValidationError: err instanceof sdk.ValidationError,
    isServerError: err instanceof sdk.ServerError,
    fieldErrors: err instanceof sdk.ValidationError ? err.errors : [],
  };
}

async function expectFailure(sdk, promise) {
  try {
    const value = await promise;
    return { threw: false, value };
  } catch (err) {
    return { threw: true, ...errorFacts(sdk, err) };
  }
}

function skillNames(candidate) {
  return (candidate.skills ?? []).map((s) => (typeof s === 'string' ? s : s.name));
}

async function allJobsTitled(client, title) {
  const found = [];
  for await (const job of client.paginate('listJobs', { limit: 100 })) {
    if (job.title === title) found.push(job.id);
  }
  return found;
}

async function flakyStats(flakyUrl) {
  const response = await fetch(`${flakyUrl}/__flaky/stats`);
  return response.json();
}

export async function runScenario(sdk, env) {
  const facts = {};
  const seen = [];
  const recorder = {
    onRequest(req) {
      req.headers['x-scenario'] = env.stamp;
    },
    onResponse(res) {
      seen.push({
        operationId: res.operationId,
        method: res.method,
        path: res.path,
        status: res.status,
        requestId: res.requestId,
        attempts: res.attempts,
        durationMs: res.durationMs,
      });
    },
  };

  const admin = new sdk.Client({ baseUrl: env.baseUrl, apiKey: env.adminKey });
  const created = await admin.createApiKey({ name: `js-e2e-${env.stamp}`, role: 'recruiter' });
  facts.apiKey = { role: created.role, secretPrefix: created.key.slice(0, 3) };
  const apiKey = created.key;
  // Rotation: by default the old key keeps working for an overlap; with
  // overlapSeconds 0 it stops at once.
  const spare = await admin.createApiKey({ name: `js-spare-${env.stamp}`, role: 'viewer' });
  const renewed = await admin.rotateApiKey(spare.id);
  const oldStillWorks = await expectFailure(
    sdk,
    new sdk.Client({ baseUrl: env.baseUrl, apiKey: spare.key, maxRetries: 0 }).listJobs({ limit: 1 }),
  );
  const rotatedNow = await admin.rotateApiKey(renewed.id, { overlapSeconds: 0 });
  const renewedGone = await expectFailure(
    sdk,
    new sdk.Client({ baseUrl: env.baseUrl, apiKey: renewed.key, maxRetries: 0 }).listJobs({ limit: 1 }),
  );
  facts.rotation = {
    previousKeyId: renewed.previous_key_id === spare.id,
    previousKeyExpiresAt: typeof renewed.previous_key_expires_at,
    oldStillWorks: oldStillWorks.threw,
    secondPrevious: rotatedNow.previous_key_id === renewed.id,
    renewedGone,
  };

  const client = new sdk.Client({ baseUrl: env.baseUrl, apiKey, interceptors: [recorder] });

  const candidate = await client.createCandidate({
    text: env.resumeText,
    name: `JS E2E ${env.stamp}`,
  });
  facts.candidate = { id: candidate.id, skills: skillNames(candidate) };

  const uploaded = await client.uploadCandidate(env.resumePdf, { filename: 'resume.pdf' });
  facts.uploaded = { id: uploaded.id, skills: skillNames(uploaded), sameAsText: uploaded.id === candidate.id };

  const backend = await client.createJob({
    title: `Backend engineer (Python, PostgreSQL) ${env.stamp}`,
    description:
      'Build and operate backend services in Python on PostgreSQL, deployed to Kubernetes. ' +
      'REST APIs, SQL performance tuning, Docker.',
    required_skills: ['Python', 'PostgreSQL', 'Kubernetes'],
  });
  const unrelated = await client.createJob({
    title: `Pastry chef ${env.stamp}`,
    description: 'Bake croissants, laminate dough, decorate cakes and run the morning pastry line.',
    required_skills: ['Baking', 'Cake decorating'],
  });
  facts.jobs = { backend: backend.id, unrelated: unrelated.id };

  const match = await client.createMatch({ candidate_id: candidate.id, job_id: backend.id });
  facts.match = { score: match.score, verdict: match.verdict };

  const forJob = await client.rankCandidatesForJob(backend.id, { limit: 100 });
  facts.rankCandidatesForJob = forJob.items.map((item) => item.candidate_id ?? item.candidate?.id);

  const forCandidate = await client.rankJobsForCandidate(candidate.id, { limit: 100 });
  facts.rankJobsForCandidate = forCandidate.items.map((item) => ({
    id: item.job_id ?? item.job?.id,
    score: item.score,
  }));

  const salary = await client.predictSalary({ candidate_id: candidate.id });
  facts.salary = { low: salary.low, expected: salary.expected, high: salary.high, currency: salary.currency };

  // A customer salary model trained on offers, twice (two versions), and
  // predictions naming the version they used.
  const offerLines = ['salary,years_experience,education,location,skills,currency'];
  for (let i = 0; i < 60; i++) {
    const years = i % 12;
    const [education, degree] = i % 2 ? ['master', 1.2] : ['bachelor', 1.0];
    const wobble = 1 + 0.05 * (((i * 7) % 11) / 5 - 1);
    offerLines.push(`${Math.round(60000 * (1 + 0.05 * years) * degree * wobble)},${years},${education},Austin,Python;SQL,USD`);
  }
  const offers = new TextEncoder().encode(offerLines.join('\n') + '\n');
  const modelName = `js-e2e-offers-${env.stamp}`;
  const v1 = await client.createSalaryModel(offers, { name: modelName });
  const v2 = await client.createSalaryModel(offers, { name: modelName });
  const models = await client.listSalaryModels({ limit: 100 });
  const features = { years_experience: 4, education: 'master' };
  const custom = await client.predictSalary({ features, model_id: v1.id, model_version: 1 });
  const shipped = await client.predictSalary({ features, model_id: 'default' });
  facts.salaryModel = {
    v1: { id: v1.id, version: v1.version, rows: v1.rows, modelVersion: v1.model_version, nTest: v1.evaluation?.n_test ?? null },
    v2: { id: v2.id, version: v2.version },
    listedVersions: models.items.filter((m) => m.id === v1.id).map((m) => m.version),
    custom: { modelId: custom.model_id, modelVersion: custom.model_version, expected: custom.expected, low: custom.low, high: custom.high },
    shipped: { modelId: shipped.model_id ?? null, modelVersion: shipped.model_version },
    badCsv: await expectFailure(
      sdk,
      client.createSalaryModel(new TextEncoder().encode('salary,years_experience\n50000,old\n'), { name: modelName }),
    ),
  };

  // A job needing Go, which the candidate lacks, besides their Python.
  const platform = await client.createJob({
    title: `Platform engineer (Go, Python) ${env.stamp}`,
    description: 'Go and Python services on Kubernetes.',
    required_skills: ['Go', 'Python'],
    nice_to_have_skills: ['Rust'],
    seniority: 'senior',
  });
  // Optional fields are cleared through `clear` (typed clients drop nulls).
  const placed = await client.updateJob(platform.id, { location: 'Berlin, Germany', salary_max: 150000 });
  const cleared = await client.updateJob(platform.id, { clear: ['location', 'salary_max'] });
  // Optimistic concurrency: ifMatch names the version read; a stale one is 412.
  const guarded = await client.updateJob(platform.id, { min_years: 2 }, { ifMatch: `"${cleared.version}"` });
  const stale = await expectFailure(sdk, client.updateJob(platform.id, { min_years: 9 }, { ifMatch: `"${cleared.version}"` }));
  facts.clearedJob = {
    placed: [placed.location, placed.salary_max],
    cleared: [cleared.location ?? null, cleared.salary_max ?? null],
    guardedVersion: guarded.version - cleared.version,
    stale,
  };
  const interviewRequest = { candidate_id: candidate.id, job_id: platform.id, per_level: 3 };
  const plan = await client.createInterviewQuestions(interviewRequest);
  const again = await client.createInterviewQuestions(interviewRequest);
  const questionFacts = (p) =>
    ['basic', 'intermediate', 'advanced'].flatMap((level) =>
      p[level].map((q) => ({
        group: level,
        id: q.id,
        level: q.level,
        skill: q.skill ?? null,
        reason: q.reason,
        goodAnswerPoints: q.good_answer.length,
      })),
    );
  facts.interview = {
    questions: questionFacts(plan),
    repeated: questionFacts(again),
    firstTarget: plan.targets[0] ? { skill: plan.targets[0].skill, candidateHas: plan.targets[0].candidate_has } : null,
  };
  const analytics = await client.getJobAnalytics(platform.id);
  const dist = analytics.score_distribution;
  facts.analytics = {
    requiredSkills: analytics.required_skills.map((s) => ({ skill: s.skill, share: s.share })),
    count: dist.count,
    verdictTotal: dist.by_verdict.reduce((n, b) => n + b.count, 0),
    binTotal: dist.bins.reduce((n, b) => n + b.count, 0),
    bins: dist.bins.length,
    salary: { low: analytics.salary_benchmark.low, high: analytics.salary_benchmark.high, position: analytics.salary_benchmark.position },
  };

  facts.notFound = await expectFailure(sdk, client.getCandidate(`cand_missing${env.stamp}`));
  facts.invalidJob = await expectFailure(sdk, client.createJob({ title: '', description: 'no title' }));

  // Retries through the fault-injecting proxy: the first attempt of every POST
  // with a new Idempotency-Key gets 503 + Retry-After: 0.
  const before = await flakyStats(env.flakyUrl);
  const flakySeen = [];
  const flaky = new sdk.Client({
    baseUrl: env.flakyUrl,
    apiKey,
    maxRetries: 2,
    interceptors: [{ onResponse: (res) => flakySeen.push({ operationId: res.operationId, attempts: res.attempts, status: res.status }) }],
  });
  const flakyTitle = `Flaky retry ${env.stamp}`;
  const flakyJob = await flaky.createJob({ title: flakyTitle, description: 'created through the flaky proxy' });
  const after = await flakyStats(env.flakyUrl);
  facts.flaky = {
    jobTitle: flakyJob.title,
    attempts: flakySeen.find((r) => r.operationId === 'createJob')?.attempts ?? null,
    injectedFailures: after.failed - before.failed,
    jobsWithTitle: (await allJobsTitled(client, flakyTitle)).length,
  };

  const noRetry = new sdk.Client({ baseUrl: env.flakyUrl, apiKey, maxRetries: 0 });
  facts.noRetry = await expectFailure(
    sdk,
    noRetry.createJob({ title: `No retry ${env.stamp}`, description: 'must fail once' }),
  );

  facts.interceptor = {
    operations: seen.map((r) => r.operationId),
    first: seen[0],
    allTimed: seen.every((r) => typeof r.durationMs === 'number' && r.durationMs > 0),
    allHaveRequestIds: seen.filter((r) => r.status !== null).every((r) => typeof r.requestId === 'string'),
  };
  return facts;
}

/** Assertions on the facts, the same for every build. */
export function checkScenario(assert, facts) {
  assert.equal(facts.apiKey.role, 'recruiter');
  assert.equal(facts.apiKey.secretPrefix, 'mm_');
  assert.equal(facts.rotation.previousKeyId, true);
  assert.equal(facts.rotation.previousKeyExpiresAt, 'string');
  assert.equal(facts.rotation.oldStillWorks, false, 'the rotated key works during the overlap');
  assert.equal(facts.rotation.secondPrevious, true);
  assert.equal(facts.rotation.renewedGone.status, 401);
  assert.equal(facts.rotation.renewedGone.code, 'unauthorized');

  const lower = facts.candidate.skills.map((s) => s.toLowerCase());
  for (const skill of ['python', 'postgresql', 'kubernetes']) {
    assert.ok(lower.includes(skill), `candidate skills ${facts.candidate.skills} lack ${skill}`);
  }
  assert.match(facts.candidate.id, /^cand_/);
  assert.match(facts.uploaded.id, /^cand_/);
  assert.ok(facts.uploaded.skills.length > 0, 'the uploaded PDF yields skills');

  assert.ok(facts.match.score >= 0 && facts.match.score <= 100, `score ${facts.match.score}`);
  assert.ok(facts.rankCandidatesForJob.includes(facts.candidate.id), 'the candidate is ranked for the backend job');

  const ranked = facts.rankJobsForCandidate;
  const backendIndex = ranked.findIndex((r) => r.id === facts.jobs.backend);
  const unrelatedIndex = ranked.findIndex((r) => r.id === facts.jobs.unrelated);
  assert.ok(backendIndex >= 0, 'the backend job is ranked for the candidate');
  // Other SDKs' test runs share the server and create backend jobs of their
  // own, so "first" is judged among the jobs this scenario created.
  assert.ok(unrelatedIndex === -1 || backendIndex < unrelatedIndex, 'backend job ranks first of this run\'s jobs');
  if (unrelatedIndex !== -1) {
    assert.ok(ranked[backendIndex].score > ranked[unrelatedIndex].score, 'backend job scores higher than the unrelated one');
  }

  const { low, expected, high, currency } = facts.salary;
  assert.ok(low <= expected && expected <= high, `salary ${low} <= ${expected} <= ${high}`);
  assert.equal(currency, 'USD');

  const m = facts.salaryModel;
  assert.match(m.v1.id, /^sm_/);
  assert.deepEqual([m.v1.version, m.v1.rows, m.v1.nTest], [1, 60, 12]);
  assert.equal(m.v1.modelVersion, `${m.v1.id}@v1`);
  assert.deepEqual(m.v2, { id: m.v1.id, version: 2 }, 'training the same name adds a version');
  assert.deepEqual(m.listedVersions, [2, 1]);
  assert.equal(m.custom.modelId, m.v1.id);
  assert.equal(m.custom.modelVersion, `${m.v1.id}@v1`);
  // 60k · 1.2 (4 years) · 1.2 (master) ≈ 86k in these offers.
  assert.ok(m.custom.expected > 78000 && m.custom.expected < 95000, `custom model expects ${m.custom.expected}`);
  assert.ok(m.custom.low <= m.custom.expected && m.custom.expected <= m.custom.high);
  assert.equal(m.shipped.modelId, null);
  assert.match(m.shipped.modelVersion, /^salary-/);
  assert.equal(m.badCsv.threw, true);
  assert.equal(m.badCsv.isValidationError, true);
  assert.deepEqual(m.badCsv.fieldErrors.map((e) => e.field), ['rows[1].years_experience']);

  const questions = facts.interview.questions;
  assert.ok(questions.length > 0, 'interview questions were selected');
  for (const q of questions) {
    assert.equal(q.level, q.group, `question ${q.id} sits in its level's group`);
    assert.ok(q.reason.length > 0, `question ${q.id} has a reason`);
    assert.ok(q.goodAnswerPoints > 0, `question ${q.id} says what a good answer covers`);
  }
  for (const group of ['basic', 'intermediate', 'advanced']) {
    assert.ok(questions.filter((q) => q.group === group).length <= 3, `at most 3 ${group} questions`);
  }
  const go = questions.filter((q) => q.skill === 'Go');
  assert.ok(go.length > 0, 'the missing skill Go is targeted');
  assert.ok(go.every((q) => q.level === 'basic'), 'a missing skill is probed at the basic level');
  assert.match(go[0].reason, /the candidate lacks/);
  assert.ok(questions.some((q) => q.skill === 'Python'), 'the key skill Python is targeted');
  assert.deepEqual(facts.interview.firstTarget, { skill: 'Go', candidateHas: false });
  assert.deepEqual(facts.interview.repeated, questions, 'same input, same questions');

  const a = facts.analytics;
  assert.deepEqual(a.requiredSkills.map((s) => s.skill).sort(), ['Go', 'Python']);
  assert.ok(a.requiredSkills[0].share <= a.requiredSkills[1].share, 'rarest required skill first');
  assert.ok(a.count >= 1, 'the candidates were scored');
  assert.equal(a.verdictTotal, a.count, 'every scored candidate is in one verdict band');
  assert.equal(a.binTotal, a.count, 'every scored candidate is in one score bin');
  assert.equal(a.bins, 10);
  assert.ok(a.salary.low <= a.salary.high);
  assert.equal(a.salary.position, 'unknown', 'the job states no salary');

  assert.equal(facts.notFound.threw, true);
  assert.equal(facts.notFound.name, 'NotFoundError');
  assert.ok(facts.notFound.isNotFoundError && facts.notFound.isMismatchError);
  assert.equal(facts.notFound.status, 404);
  assert.equal(facts.notFound.code, 'not_found');
  assert.equal(typeof facts.notFound.requestId, 'string');
  assert.ok(facts.notFound.requestId.length > 0);

  assert.equal(facts.invalidJob.threw, true);
  assert.equal(facts.invalidJob.name, 'ValidationError');
  assert.ok(facts.invalidJob.isValidationError);
  assert.equal(facts.invalidJob.status, 422);
  assert.equal(facts.invalidJob.code, 'validation_failed');
  assert.ok(facts.invalidJob.fieldErrors.some((e) => e.field === 'title'), 'the title field is named');

  assert.equal(facts.flaky.attempts, 2, 'createJob through the flaky proxy took two attempts');
  assert.ok(facts.flaky.injectedFailures >= 1);
  assert.equal(facts.flaky.jobsWithTitle, 1, 'exactly one job was created despite the retry');

  assert.equal(facts.noRetry.threw, true);
  assert.equal(facts.noRetry.name, 'ServerError');
  assert.ok(facts.noRetry.isServerError);
  assert.equal(facts.noRetry.status, 503);
  assert.equal(facts.noRetry.attempts, 1);
  assert.deepEqual(facts.clearedJob.placed, ['Berlin, Germany', 150000]);
  assert.deepEqual(facts.clearedJob.cleared, [null, null]);
  assert.equal(facts.clearedJob.guardedVersion, 1);
  assert.equal(facts.clearedJob.stale.status, 412);
  assert.equal(facts.clearedJob.stale.code, 'precondition_failed');

  assert.ok(facts.interceptor.operations.includes('createCandidate'));
  assert.equal(facts.interceptor.first.operationId, 'createCandidate');
  assert.equal(facts.interceptor.first.method, 'POST');
  assert.equal(facts.interceptor.first.path, '/v1/candidates');
  assert.equal(facts.interceptor.first.attempts, 1);
  assert.ok(facts.interceptor.allTimed);
  assert.ok(facts.interceptor.allHaveRequestIds);
}
