// The REST API from the pages' side: submitting jobs, waiting for them, and turning every error
// the API can answer into one sentence a person can act on.

export const API = '/api/v1';

const POLL_FIRST_MS = 250;
const POLL_MAX_MS = 2000;
const JOB_TIMEOUT_MS = 5 * 60 * 1000;
const UPLOAD_TIMEOUT_MS = 5 * 60 * 1000;

/** An HTTP error (status 0: the server could not be reached) with a sentence to show. */
export class ApiError extends Error {
  constructor(status, detail, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
  }
}

/** A job that ran and failed: its own error message is the explanation. */
export class JobFailedError extends Error {
  constructor(job) {
    super(`The job failed: ${job.error || 'no reason given'}.`);
    this.name = 'JobFailedError';
    this.job = job;
  }
}

/** The API's {"detail": ...} as text; FastAPI's 422 detail is a list of {loc, msg}. */
export function detailText(body) {
  const detail = body && typeof body === 'object' && 'detail' in body ? body.detail : body;
  if (detail == null || detail === '') return '';
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => {
      // loc starts with where the value came from ("body", "query"), which says nothing to a person.
      const loc = (item.loc || []).filter((part) => !['body', 'query', 'path'].includes(part));
      return loc.length ? `${loc.join('.')}: ${item.msg}` : item.msg;
    }).join('; ');
  }
  return JSON.stringify(detail);
}

function sentence(text) {
  const t = String(text || '').trim();
  if (!t) return '';
  // "temperature: Input should be ..." names a field, which keeps its own spelling.
  const capital = /^[\w.]+: /.test(t) ? t : t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** "2.4 MB" for a byte count. */
export function formatBytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

// "the limit of 26214400 bytes" reads better as "the limit of 25.0 MB".
function readableBytes(text) {
  return text.replace(/\b(\d{5,}) bytes\b/g, (_, n) => formatBytes(Number(n)));
}

/**
 * One plain sentence for an HTTP status, naming what was being done (`what`, e.g. "Colorizing") so the
 * message still makes sense when read out on its own by a screen reader. The status code itself is not
 * shown (it means nothing to most people); logError() writes it to the console for whoever reads logs.
 */
export function explain(status, detail, what = 'The request') {
  const d = sentence(detail);
  const join = (...parts) => parts.filter(Boolean).join(' ');
  switch (status) {
    case 0:
      return `${what} failed: the server could not be reached. Check that the service is running (make run) and try again.`;
    case 404:
      return join(`${what} failed: the server does not have what was asked for.`, d);
    case 409:
      return join(`${what} cannot be done yet.`, d);
    case 410:
      return join(`${what} failed: that is no longer available.`, d);
    case 413:
      return join(`${what} failed: the file is too large.`, readableBytes(d), 'Choose a smaller photo.');
    case 415:
      return join(`${what} failed: the service cannot read this file.`, d,
        'Use a JPEG, PNG, WebP, BMP, TIFF or GIF photo.');
    case 422:
      return join('A setting was rejected.', d);
    case 429:
      return join('Too many requests in a short time.', d, 'Wait a moment and try again.');
    case 503:
      return join('The service cannot take this right now.',
        d || 'It is busy, or a part of it is down.', 'Try again in a moment.');
    default:
      if (status >= 500) {
        return join('Something went wrong on the server.', d,
          'Try again; if it keeps happening, the server log says more.');
      }
      return join(`${what} was refused.`, d);
  }
}

/** The HTTP status and the server's own words, on the console: what a bug report or a log needs. */
export function logError(err) {
  if (err instanceof ApiError) {
    // console.warn, not console.error: the alert already told the person; this is for the record.
    console.warn(`[Pretext Lab] HTTP ${err.status || 'no answer'}${err.detail ? `: ${err.detail}` : ''} (${err.message})`);
  } else if (err instanceof JobFailedError) {
    console.warn(`[Pretext Lab] job ${err.job?.id} failed: ${err.job?.error}`);
  } else {
    console.warn('[Pretext Lab]', err);
  }
}

async function errorFrom(response, what) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null; // not JSON (a proxy's HTML page, say): the status alone has to do
  }
  const detail = detailText(body);
  return new ApiError(response.status, detail, explain(response.status, detail, what));
}

/** fetch() that throws ApiError for network failures and non-2xx answers. */
export async function request(url, { what, signal, ...init } = {}) {
  let response;
  try {
    response = await fetch(url, { signal, ...init });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, String(err), explain(0, '', what));
  }
  if (!response.ok) throw await errorFrom(response, what);
  return response;
}

export async function getJSON(url, options = {}) {
  return (await request(url, options)).json();
}

/**
 * POST a multipart form with XMLHttpRequest, because fetch() cannot report upload progress;
 * resolves with the parsed JSON body, rejects with ApiError.
 */
export function upload(url, form, { what = 'The upload', onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.responseType = 'text';
    xhr.timeout = UPLOAD_TIMEOUT_MS;
    xhr.setRequestHeader('Accept', 'application/json');
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      });
    }
    const parse = () => {
      try {
        return JSON.parse(xhr.responseText);
      } catch {
        return null;
      }
    };
    xhr.addEventListener('load', () => {
      const body = parse();
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body);
      else {
        const detail = detailText(body);
        reject(new ApiError(xhr.status, detail, explain(xhr.status, detail, what)));
      }
    });
    // A server refusing a large body early can close the connection mid-upload: the browser then
    // reports a network error rather than the 413, so say both possibilities.
    xhr.addEventListener('error', () => reject(new ApiError(0, '',
      `${what} failed: the connection was closed. The server may be down, or the file may be larger than it accepts.`)));
    xhr.addEventListener('timeout', () => reject(new ApiError(0, '', `${what} timed out; try a smaller photo.`)));
    if (signal) {
      signal.addEventListener('abort', () => {
        xhr.abort();
        reject(new DOMException('aborted', 'AbortError'));
      }, { once: true });
    }
    xhr.send(form);
  });
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    }, { once: true });
  });
}

/**
 * Poll a job until it has finished: the finished job, JobFailedError if it failed, ApiError if
 * the API answers an error, or a timeout after `timeoutMs` (never polls forever).
 * `onStatus(status, elapsedSeconds, job)` is called on every answer, for the progress message
 * (the job carries `queue: {position, ahead}` while it waits, when the server says).
 */
export async function waitForJob(accepted, { what = 'The job', onStatus, signal, timeoutMs = JOB_TIMEOUT_MS } = {}) {
  const url = accepted.links?.self || `${API}/jobs/${accepted.id}`;
  const started = performance.now();
  let job = accepted;
  let interval = POLL_FIRST_MS;
  // A submission answered with ?wait may already be finished.
  while (!['succeeded', 'failed'].includes(job.status)) {
    const elapsed = performance.now() - started;
    if (elapsed > timeoutMs) {
      throw new ApiError(0, '', `${what} did not finish within ${Math.round(timeoutMs / 1000)} s; the workers may be busy or stopped. Try again later.`);
    }
    onStatus?.(job.status, elapsed / 1000, job);
    await sleep(interval, signal);
    interval = Math.min(POLL_MAX_MS, interval * 1.5);
    job = await getJSON(url, { what, signal });
  }
  if (job.status === 'failed') throw new JobFailedError(job);
  return job;
}

/**
 * A progress sentence for a job's status. While it is queued, the job's place in its queue
 * (`queue.ahead`: jobs that run before it) says more than the seconds waited, so it leads.
 */
export function statusText(status, seconds, noun = 'job', queue = null) {
  const s = seconds >= 1 ? ` (${Math.round(seconds)} s)` : '';
  if (status === 'queued') {
    const ahead = Number(queue?.ahead);
    if (Number.isInteger(ahead) && ahead > 0) {
      return `The service is busy: ${ahead} ${ahead === 1 ? 'job is' : 'jobs are'} ahead of your ${noun} in the queue${s}…`;
    }
    if (Number.isInteger(ahead) && ahead === 0) return `Your ${noun} is next in the queue${s}…`;
    return `The ${noun} is waiting for a worker${s}…`;
  }
  if (status === 'running') return `The network is working on it${s}…`;
  return `The ${noun} is ${status}${s}…`;
}

let openapi = null;

/** Whether the API has `method path` (from /openapi.json, read once per page); null if unknown. */
export async function hasEndpoint(path, method = 'post') {
  openapi ||= getJSON('/openapi.json', { what: 'Reading the API description' }).catch(() => null);
  const spec = await openapi;
  if (!spec) return null;
  return Boolean(spec.paths?.[path]?.[method]);
}

/** {installed, available} for a model by name, from /api/v1/models; null if that cannot be read. */
export async function modelStatus(name) {
  try {
    const { data } = await getJSON(`${API}/models`, { what: 'Reading the installed models' });
    const card = data.find((c) => c.name === name || c.task === name);
    return { installed: Boolean(card), available: Boolean(card?.available), card };
  } catch {
    return null;
  }
}

/** Any thrown error as a sentence to show in the alert region; its technical side goes to the console. */
export function messageOf(err) {
  logError(err);
  if (err instanceof ApiError || err instanceof JobFailedError) return err.message;
  return `Something went wrong in the page: ${err?.message || err}. Reload and try again.`;
}
