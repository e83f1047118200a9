// A result's own address: the page's URL with ?job=ID (and anything else needed to draw it again),
// so reloading, a bookmark or a shared link reopens the result while the server still stores it.

const JOB_ID = /^[0-9a-f]{32}$/;

/** The job id in the page's URL, or null. */
export function jobIdFromUrl() {
  const id = new URLSearchParams(window.location.search).get('job') || '';
  return JOB_ID.test(id) ? id : null;
}

/** Another query parameter of the page's URL ('' when absent). */
export function urlParam(name) {
  return new URLSearchParams(window.location.search).get(name) || '';
}

/** The URL of this page for job `id`, with extra parameters (skipped when empty). */
export function jobUrl(id, extra = {}) {
  const params = new URLSearchParams({ job: id });
  for (const [k, v] of Object.entries(extra)) if (v !== '' && v != null) params.set(k, String(v));
  return `${window.location.pathname}?${params}`;
}

/** Put job `id` into the address bar without a reload or a new history entry. */
export function showJobInUrl(id, extra = {}) {
  const url = jobUrl(id, extra);
  if (url !== `${window.location.pathname}${window.location.search}`) window.history.replaceState(null, '', url);
}

/** Back to the page's plain address (a result that cannot be shown any more). */
export function clearJobFromUrl() {
  window.history.replaceState(null, '', window.location.pathname);
}
