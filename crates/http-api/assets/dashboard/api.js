// The admin API client: bearer token from session storage, JSON envelopes, errors in plain words.

const BASE = new URL('../api/v1/admin/', document.baseURI);
const TOKEN_KEY = 'propimport.adminToken';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An answer other than success: `status` is the HTTP status (0 when the server was not reached). */
export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.executionId = extra.executionId ?? null;
    this.retryAfter = extra.retryAfter ?? null;
  }
}

let session = new AbortController();

/** Cancels every request in flight (on sign-out). */
export function abortAll() {
  session.abort();
  session = new AbortController();
}

/**
 * Calls `path` under /api/v1/admin/ and returns the whole JSON answer.
 * Options: method, query (empty values are left out), body (sent as JSON), auth (a token to try),
 * headers (more request headers, such as If-Match).
 */
export async function api(path, { method = 'GET', query, body, auth, headers: extra } = {}) {
  const url = new URL(path, BASE);
  for (const [key, value] of Object.entries(query || {})) {
    if (value != null && value !== '') url.searchParams.set(key, String(value));
  }
  const headers = { Accept: 'application/json', Authorization: `Bearer ${auth ?? token.get() ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  Object.assign(headers, extra || {});
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal: session.signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached.');
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON: described by the status below */ }
  if (res.ok && json && json.success !== false) return json;
  const err = (json && json.error) || {};
  const retry = Number.parseInt(res.headers.get('Retry-After') || '', 10);
  throw new ApiError(res.status, err.code || `HTTP_${res.status}`, err.message || `HTTP ${res.status} ${res.statusText}`.trim(), {
    executionId: err.executionId,
    retryAfter: Number.isFinite(retry) ? retry : null,
  });
}

export const isAuthError = (e) => e instanceof ApiError && (e.status === 401 || e.status === 403);

/** One sentence an operator can act on. */
export function describe(e) {
  if (!(e instanceof ApiError)) return `Unexpected error: ${e && e.message ? e.message : e}`;
  switch (e.status) {
    case 0: return 'The server cannot be reached. Retrying…';
    case 401: return 'The admin token was not accepted (401 Unauthorized).';
    case 403: return 'This token is not allowed to use the admin API (403 Forbidden).';
    case 409: return e.code === 'NOT_RUNNING' ? 'The run has already ended.'
      : e.code === 'CONFLICT' ? e.message
      : `A run is already in progress${e.executionId ? ` (id ${e.executionId})` : ''}.`;
    case 412: return 'Someone changed this source meanwhile: it was reloaded, check it and try again.';
    case 429: return `Too many triggers — try again in ${e.retryAfter ?? 'a few'} s.`;
    case 503: return `The service is unavailable: ${e.message}. Retrying…`;
    default: return `${e.message} (${e.status} ${e.code})`;
  }
}
