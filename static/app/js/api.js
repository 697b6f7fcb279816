// The API client: the bearer token lives in sessionStorage (one tab, one
// log-in), or in localStorage for a remembered device; every error arrives
// as an APIError with the server's fields.

import { currentLang } from './i18n.js';

const TOKEN_KEY = 'gatehouse.token';
const BASE = '/api/v1';

/** An error answer of the API: {error: {code, message, fields}}. */
export class APIError extends Error {
  constructor(status, code, message, fields) {
    super(message || code || 'HTTP ' + status);
    this.status = status;
    this.code = code || '';
    this.fields = fields || {};
    this.method = ''; // the request's method, set when it is known
  }
}

export function token() {
  try { return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

/**
 * Keeps the token: a remembered device's in localStorage (every tab, and
 * after the browser is reopened), any other in sessionStorage (this tab).
 */
export function setToken(tok, remember = false) {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    if (tok) (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, tok);
  } catch { /* private mode: the token lives until reload */ }
}

let onUnauthorized = () => {};
/** Sets what happens when a request answers 401 (the session ended). */
export function whenUnauthorized(fn) { onUnauthorized = fn; }

/** The language the server says its messages in (field problems, limits, decisions). */
function acceptLanguage() { return currentLang() === 'en' ? 'en' : 'zh-CN'; }

function headers(extra) {
  const h = new Headers(extra || {});
  const tok = token();
  if (tok) h.set('Authorization', 'Bearer ' + tok);
  h.set('Accept-Language', acceptLanguage());
  return h;
}

async function errorOf(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const e = body && body.error;
  return new APIError(res.status, e ? e.code : 'http_' + res.status, e ? e.message : res.statusText, e ? e.fields : null);
}

async function send(method, path, { body, type, query, signal } = {}) {
  let url = BASE + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const init = { method, headers: headers(), signal, cache: 'no-store' };
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob) {
      init.body = body;
      init.headers.set('Content-Type', type || 'text/plain');
    } else {
      init.body = JSON.stringify(body);
      init.headers.set('Content-Type', 'application/json');
    }
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new APIError(0, 'network', '');
  }
  if (!res.ok) {
    const err = await errorOf(res);
    err.method = method;
    if (res.status === 401 && !path.startsWith('/auth/login') && !path.startsWith('/auth/sms/')) onUnauthorized(err);
    throw err;
  }
  return res;
}

/** Calls the API and returns the decoded JSON (null for 204). */
export async function api(method, path, body, opts = {}) {
  const res = await send(method, path, { ...opts, body });
  if (res.status === 204) return null;
  const ct = res.headers.get('Content-Type') || '';
  return ct.includes('json') ? res.json() : res.text();
}

export const get = (path, query, opts = {}) => api('GET', path, undefined, { ...opts, query });
export const post = (path, body, opts) => api('POST', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);

/** Fetches a binary answer (with the Authorization header) as a Blob. */
export async function getBlob(path, query) {
  const res = await send('GET', path, { query });
  return { blob: await res.blob(), headers: res.headers };
}

/** The file name of a Content-Disposition header, else fallback. */
function fileName(headers, fallback) {
  const cd = headers.get('Content-Disposition') || '';
  const m = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(cd);
  if (m) return decodeURIComponent(m[1] || m[2]);
  return fallback;
}

/** Saves a Blob as a file through a temporary blob: URL. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Downloads an authorized file (report, export) and saves it; returns its headers. */
export async function download(path, query, fallbackName) {
  const { blob, headers } = await getBlob(path, query);
  saveBlob(blob, fileName(headers, fallbackName));
  return headers;
}

/**
 * Uploads a body with XMLHttpRequest, which reports upload progress (fetch
 * does not). onProgress(fraction) is called while sending; the promise
 * resolves with the decoded JSON or rejects with an APIError.
 */
export function upload(method, path, body, type, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, BASE + path);
    const tok = token();
    if (tok) xhr.setRequestHeader('Authorization', 'Bearer ' + tok);
    xhr.setRequestHeader('Content-Type', type);
    xhr.setRequestHeader('Accept-Language', acceptLanguage());
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.upload.onload = () => onProgress && onProgress(1);
    xhr.onerror = () => reject(new APIError(0, 'network', ''));
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* empty */ }
      if (xhr.status >= 200 && xhr.status < 300) { resolve(data); return; }
      const e = data && data.error;
      const err = new APIError(xhr.status, e ? e.code : 'http_' + xhr.status, e ? e.message : xhr.statusText, e ? e.fields : null);
      err.method = method;
      if (xhr.status === 401) onUnauthorized(err);
      reject(err);
    };
    xhr.send(body);
  });
}

/** Reads every page of a list (up to max items). */
export async function getAll(path, query = {}, max = 2000) {
  const items = [];
  let cursor = '';
  for (;;) {
    const page = await get(path, { ...query, limit: 500, cursor });
    items.push(...page.items);
    if (!page.next_cursor || items.length >= max) break;
    cursor = page.next_cursor;
  }
  return items;
}

/** The URL of the live decision stream; EventSource cannot send headers. */
export function liveURL(communityID) {
  const q = new URLSearchParams({ access_token: token() });
  if (communityID) q.set('community_id', String(communityID));
  return BASE + '/live?' + q.toString();
}
