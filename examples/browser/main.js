// The browser example: the same Client as in Node, backed by WebAssembly.
import { Client, MismatchError } from 'mismatch-recruiter';

const form = document.querySelector('#form');
const output = document.querySelector('#output');
const log = [];

function show(text, isError = false) {
  output.textContent = text;
  output.classList.toggle('error', isError);
  output.dataset.state = isError ? 'error' : 'done';
}

function client() {
  const baseUrl = form.baseUrl.value.trim();
  const apiKey = form.apiKey.value.trim() || undefined;
  return new Client({
    baseUrl,
    apiKey,
    timeoutMs: 10_000,
    interceptors: [
      { onResponse: (res) => log.push(`${res.method} ${res.path} → ${res.status} (${res.durationMs.toFixed(0)} ms)`) },
    ],
  });
}

async function run(action) {
  output.dataset.state = 'busy';
  output.textContent = 'Working…';
  log.length = 0;
  try {
    const text = await action(client());
    show(`${text}\n\n${log.join('\n')}`);
  } catch (err) {
    const detail = err instanceof MismatchError ? ` [${err.name}, status ${err.status}, code ${err.code}]` : '';
    show(`${err.message}${detail}\n\n${log.join('\n')}`, true);
  }
}

document.querySelector('#health').addEventListener('click', () =>
  run(async (api) => `Server is ${(await api.getLiveness()).status}`),
);

form.addEventListener('submit', (event) => {
  event.preventDefault();
  run(async (api) => {
    const candidate = await api.createCandidate({ text: form.resume.value });
    return `Candidate ${candidate.id}\nSkills: ${candidate.skills.map((skill) => skill.name).join(', ')}`;
  });
});

// A File is a Blob: the SDK reads it and sends the bytes as the request body.
document.querySelector('#upload').addEventListener('click', () =>
  run(async (api) => {
    const file = form.file.files[0];
    if (!file) throw new Error('Choose a file first');
    const candidate = await api.uploadCandidate(file, { filename: file.name });
    return `Candidate ${candidate.id} from ${file.name}\nSkills: ${candidate.skills.map((skill) => skill.name).join(', ')}`;
  }),
);

show('Ready: the SDK is loaded.');
output.dataset.state = 'ready';
