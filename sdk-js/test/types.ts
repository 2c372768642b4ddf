// Compile-only checks of index.d.ts (run by `tsc --noEmit`): what must type-check
// does, and what must not is marked @ts-expect-error (tsc fails if it compiles).
import {
  Client,
  MismatchError,
  NotFoundError,
  ValidationError,
  type Candidate,
  type ClientOptions,
  type InterceptedResponse,
  type OperationId,
  type RawResponse,
  type LoginResult,
  type SessionInfo,
  OPERATIONS,
  nativeOperationIds,
} from 'mismatch-recruiter';

export async function typed(options: ClientOptions): Promise<void> {
  const client = new Client({ ...options, maxRetries: 0, interceptors: [] });
  client.use({
    onRequest(req) {
      req.headers['x-trace'] = req.operationId;
    },
    onResponse(res: InterceptedResponse) {
      const ms: number = res.durationMs;
      const status: number | null = res.status;
      void [ms, status, res.attempts, res.requestId];
    },
  });

  const candidate: Candidate = await client.getCandidate('cand_1');
  const id: string = candidate.id;
  const skills: string[] = candidate.skills.map((skill) => skill.name);
  await client.uploadCandidate(new Uint8Array([1, 2]), { filename: 'cv.pdf' });
  const page = await client.listCandidates({ limit: 10, cursor: 'c1' });
  const next: string | null | undefined = page.next_cursor;
  const raw: RawResponse<Candidate> = await client.call<Candidate>('getCandidate', { candidate_id: id });
  for await (const job of client.paginate('listJobs', { limit: 100, status: 'open' })) {
    const title: string = job.title;
    void title;
  }
  // @ts-expect-error getJob is not a paginated list
  client.paginate('getJob');
  const op: OperationId = 'createJob';
  const method: string = OPERATIONS[op].method;
  const compiled: string[] = nativeOperationIds();
  void [method, compiled];
  void [skills, next, raw.attempts, op];

  try {
    await client.createJob({ title: '', description: '' });
  } catch (err) {
    if (err instanceof ValidationError) {
      const fields: string[] = err.errors.map((e) => e.field);
      void fields;
    } else if (err instanceof NotFoundError) {
      const code: string | null = err.code;
      void code;
    } else if (err instanceof MismatchError) {
      const requestId: string | null = err.requestId;
      void requestId;
    }
  }

  // @ts-expect-error ids are strings
  await client.getCandidate(42);
  // @ts-expect-error uploads take bytes, not text
  await client.uploadCandidate('resume text', { filename: 'cv.txt' });
  // @ts-expect-error a job needs a title
  await client.createJob({ description: 'x' });
  // @ts-expect-error not an operation of the API
  await client.call('noSuchOperation');
  // baseUrl and apiKey may come from MISMATCH_BASE_URL / MISMATCH_API_KEY (Node).
  new Client();
  new Client({ apiKey: 'mm_x' });
  // @ts-expect-error the base URL is a string
  new Client({ baseUrl: 8080 });
}

export async function sessions(client: Client): Promise<void> {
  const result: LoginResult = await client.login('ada@example.com', 'correct horse battery');
  let session: SessionInfo;
  if (result.twoFactorRequired) {
    const expires: string = result.challengeExpiresAt;
    session = await client.loginSecondFactor(result.challengeToken, '123456');
    void expires;
  } else {
    session = result.session;
  }
  const renewable: boolean = session.renewable;
  const until: string = session.accessTokenExpiresAt;
  const current: SessionInfo | null = client.session();
  const kept: string | null = client.sessionRefreshToken();
  if (kept !== null) await client.resumeSession(kept);
  await client.logout();
  void [renewable, until, current];
  // @ts-expect-error a session needs the second step first
  void result.session;
  // @ts-expect-error the code is a string
  await client.loginSecondFactor('eyJ…', 123456);
}
