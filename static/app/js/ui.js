// Small DOM helpers: building elements, forms whose fields carry the API's
// JSON names (so each error lands next to its field), toasts, progress.

import { t, currentLang, fieldLabel, ID_TYPES } from './i18n.js';

/**
 * h('div', {class: 'x', on: {click: fn}, dataset: {a: 1}}, child, ...)
 * Strings are text (never HTML); null/false children are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'style') el.setAttribute('style', v);
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
/** A unique element id. */
export function newID(prefix = 'f') { uid += 1; return `${prefix}-${uid}`; }

/**
 * A labelled form field whose input is named by its API JSON field (such as
 * "visitor.id_number"), so that error.fields land next to it.
 * opts: {name, label, type, required, value, options: [[value, label]], hint, attrs, placeholder}
 */
export function field(opts) {
  const id = opts.id || newID('f');
  const errID = id + '-err';
  const hintID = opts.hint ? id + '-hint' : null;
  let input;
  const common = { id, name: opts.name, dataset: { field: opts.errorName || opts.name }, 'aria-describedby': [hintID, errID].filter(Boolean).join(' ') };
  if (opts.type === 'select') {
    input = h('select', common, (opts.options || []).map(([v, l]) => h('option', { value: v, text: l })));
    if (opts.value !== undefined) input.value = String(opts.value);
  } else if (opts.type === 'textarea') {
    input = h('textarea', { ...common, placeholder: opts.placeholder, rows: opts.rows || 4 });
    if (opts.value !== undefined) input.value = opts.value;
  } else {
    input = h('input', { ...common, type: opts.type || 'text', placeholder: opts.placeholder, autocomplete: opts.autocomplete || 'off' });
    if (opts.value !== undefined && opts.value !== null) input.value = String(opts.value);
  }
  if (opts.required) input.required = true;
  for (const [k, v] of Object.entries(opts.attrs || {})) input.setAttribute(k, v);
  return h('div', { class: 'field' + (opts.class ? ' ' + opts.class : '') },
    h('label', { for: id }, opts.label ?? fieldLabel(opts.name), opts.required ? h('span', { class: 'req', 'aria-hidden': 'true', text: '*' }) : null),
    input,
    opts.hint ? h('div', { class: 'hint', id: hintID, text: opts.hint }) : null,
    h('div', { class: 'err', id: errID, hidden: true }));
}

/** A select of the document types. */
export function idTypeField(name, value) {
  return field({ name, type: 'select', value: value || 'resident_id', options: ID_TYPES.map((v) => [v, t('id_type.' + v)]) });
}

/** A group of checkboxes that reads as a list of numbers under name. */
export function checksField(name, items, checked = []) {
  const errID = newID('e');
  return h('div', { class: 'field', dataset: { field: name } },
    h('span', { class: 'label', text: fieldLabel(name) }),
    h('div', { class: 'checks', role: 'group', 'aria-describedby': errID },
      items.map(([v, l]) => h('label', null,
        h('input', { type: 'checkbox', name, value: String(v), dataset: { kind: 'ids' }, checked: checked.includes(v) }), l))),
    h('div', { class: 'err', id: errID, hidden: true }));
}

/** The values of a form as a nested object (dotted names nest). */
export function formValues(form) {
  const out = {};
  const set = (name, v) => {
    const parts = name.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = o[p] ??= {};
    o[parts.at(-1)] = v;
  };
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox' && el.dataset.kind === 'ids') {
      const cur = name2list(out, el.name);
      if (el.checked) cur.push(Number(el.value));
      set(el.name, cur);
    } else if (el.type === 'checkbox') {
      set(el.name, el.checked);
    } else if (el.type === 'radio') {
      if (el.checked) set(el.name, el.value);
    } else if (el.type === 'number') {
      if (el.value !== '') set(el.name, Number(el.value));
    } else if (el.tagName === 'TEXTAREA') {
      // A reason or purpose is one line of text: the server refuses line
      // breaks and tabs, so the box's are folded into spaces.
      set(el.name, el.value.replace(/\s+/g, ' ').trim());
    } else if (el.tagName !== 'BUTTON' && el.type !== 'file') {
      set(el.name, el.value.trim());
    }
  }
  return out;
}

function name2list(out, name) {
  let o = out;
  for (const p of name.split('.')) { if (o == null) return []; o = o[p]; }
  return Array.isArray(o) ? o : [];
}

/** Removes the error marks of a form. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.err')) { el.hidden = true; el.textContent = ''; }
  for (const el of form.querySelectorAll('.form-error, .form-ok')) el.remove();
}

/** Words for an error that concerns no single field. */
export function errorText(err) {
  if (!err) return t('common.error');
  if (err.status === 0 || err.code === 'network') return t('common.network');
  // The server says its messages in the UI's language (Accept-Language).
  const msg = err.message || '';
  switch (err.status) {
    case 401: return msg || t('common.session_expired');
    case 403: return t('common.forbidden') + (currentLang() === 'en' ? '' : '\n' + msg);
    case 404: return t('common.not_found') + (msg ? '\n' + msg : '');
    case 429: return t('common.rate_limited') + '\n' + msg;
  }
  return msg || t('common.error');
}

/**
 * Shows an API error on a form: each field problem under its field (by the
 * data-field name), the rest in a box at the end of the form. Nothing the
 * user typed is touched. Returns the problems that matched no field.
 */
export function showErrors(form, err, box) {
  clearErrors(form);
  const rest = [];
  let first = null;
  const fields = (err && err.fields) || {};
  for (const [key, problem] of Object.entries(fields)) {
    const holder = form.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (!holder) { rest.push([key, problem]); continue; }
    const wrap = holder.closest('.field') || holder;
    const errEl = wrap.querySelector('.err');
    if (holder.matches('input, select, textarea')) holder.setAttribute('aria-invalid', 'true');
    if (errEl) { errEl.textContent = problem; errEl.hidden = false; }
    first ??= holder.matches('input, select, textarea') ? holder : wrap.querySelector('input, select, textarea');
  }
  const lines = [];
  if (Object.keys(fields).length === 0) lines.push(errorText(err));
  else if (rest.length === 0) lines.push(t('common.fix_fields'));
  else lines.push(t('common.fix_fields'));
  for (const [k, p] of rest) lines.push(`${fieldLabel(k)}: ${p}`);
  const msg = h('div', { class: 'form-error', role: 'alert', text: lines.join('\n') });
  (box || form).append(msg);
  if (first) first.focus({ preventScroll: false });
  return rest;
}

/** A success note at the end of a form. */
export function showOK(form, text) {
  clearErrors(form);
  form.append(h('div', { class: 'form-ok', role: 'status', text }));
}

/**
 * Runs fn while button shows it is busy (and cannot be pressed twice).
 */
export async function busy(button, fn) {
  if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
  try {
    return await fn();
  } finally {
    if (button) { button.disabled = false; button.removeAttribute('aria-busy'); }
  }
}

/**
 * Wires a form: on submit, clears errors, calls fn(values) while the submit
 * button is busy, and shows any APIError next to its fields. The form keeps
 * every value when rejected.
 */
export function onSubmit(form, fn) {
  form.noValidate = true;
  queueMicrotask(() => restoreDraft(form));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const btn = ev.submitter || form.querySelector('button[type="submit"]');
    clearErrors(form);
    try {
      await busy(btn, () => fn(formValues(form), form));
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      showErrors(form, err);
    }
  });
}

/** A short message at the bottom of the screen. */
export function toast(text, kind = '') {
  const box = document.getElementById('toasts');
  const el = h('div', { class: 'toast ' + kind, role: kind === 'bad' ? 'alert' : 'status', text });
  box.append(el);
  setTimeout(() => el.remove(), kind === 'bad' ? 7000 : 3500);
}

/** Shows an error as a toast. */
export function toastError(err) {
  if (err && err.name === 'AbortError') return;
  toast(errorText(err), 'bad');
}

/**
 * A progress bar: set(fraction) for a known amount, indeterminate() while
 * waiting, with the seconds elapsed below it.
 */
export function progressBar(label) {
  const bar = h('div');
  const wrap = h('div', { class: 'progress indeterminate', role: 'progressbar', 'aria-label': label }, bar);
  const text = h('div', { class: 'small muted' }, label);
  const el = h('div', { class: 'progress-box' }, wrap, text);
  const start = Date.now();
  const timer = setInterval(() => { text.textContent = `${label} ${t('common.elapsed', { s: Math.round((Date.now() - start) / 1000) })}`; }, 1000);
  return {
    el,
    set(frac, newLabel) {
      wrap.classList.remove('indeterminate');
      bar.style.width = Math.round(frac * 100) + '%';
      wrap.setAttribute('aria-valuenow', String(Math.round(frac * 100)));
      if (newLabel) { label = newLabel; text.textContent = label; }
    },
    indeterminate(newLabel) {
      wrap.classList.add('indeterminate');
      bar.style.width = '';
      wrap.removeAttribute('aria-valuenow');
      if (newLabel) { label = newLabel; text.textContent = label; }
    },
    done() { clearInterval(timer); el.remove(); },
  };
}

const fmtCache = {};
function fmt(kind) {
  const key = currentLang() + kind;
  if (!fmtCache[key]) {
    const loc = currentLang() === 'en' ? 'en-GB' : 'zh-CN';
    const opt = kind === 'dt' ? { dateStyle: 'medium', timeStyle: 'short' } : kind === 'd' ? { dateStyle: 'medium' } : { timeStyle: 'medium' };
    fmtCache[key] = new Intl.DateTimeFormat(loc, opt);
  }
  return fmtCache[key];
}

/** A time for people: date and minutes (in timeZone when given). */
export function fmtTime(iso, timeZone) {
  if (!iso) return '';
  if (timeZone) {
    try {
      return new Intl.DateTimeFormat(currentLang() === 'en' ? 'en-GB' : 'zh-CN', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso));
    } catch { /* an unknown zone: the browser's own */ }
  }
  return fmt('dt').format(new Date(iso));
}
/** A date for people (in timeZone when given). */
export function fmtDate(iso, timeZone) {
  if (!iso) return '';
  if (timeZone) {
    try {
      return new Intl.DateTimeFormat(currentLang() === 'en' ? 'en-GB' : 'zh-CN', { dateStyle: 'medium', timeZone }).format(new Date(iso));
    } catch { /* an unknown zone: the browser's own */ }
  }
  return fmt('d').format(new Date(iso));
}
/** A clock time with seconds. */
export function fmtClock(iso) { return iso ? fmt('t').format(new Date(iso)) : ''; }

/** The value of a datetime-local input for a Date. */
export function toLocalInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The value of a date input for a Date. */
export function toDateInput(d) { return toLocalInput(d).slice(0, 10); }

/** RFC 3339 (UTC) from a datetime-local value; '' stays ''. */
export function fromLocalInput(v) {
  if (!v) return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v; // let the server say what is wrong
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "3栋 2单元 502" from a host or dwelling. */
export function dwelling(x) {
  if (!x) return '';
  return [x.building, x.unit, x.room].filter(Boolean).join(' ');
}

/** Copies text to the clipboard (with a fallback for plain-HTTP pages). */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      toast(t('common.copied'), 'ok');
      return;
    }
  } catch { /* fall back below */ }
  const ta = h('textarea', { style: 'position:fixed;left:-9999px;top:0', readonly: true });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  toast(ok ? t('common.copied') : text, ok ? 'ok' : '');
}

/** A badge for a status, decision or role. */
export function badge(cls, text) { return h('span', { class: 'badge ' + cls, text }); }

/** A table with a header row; rows is a list of <tr>. */
export function table(headers, rows, emptyText) {
  if (!rows.length) return h('p', { class: 'empty', text: emptyText || t('common.none') });
  return h('div', { class: 'table-wrap' }, h('table', null,
    h('thead', null, h('tr', null, headers.map((x) => (x instanceof Node ? x : h('th', { text: x }))))),
    h('tbody', null, rows)));
}

/** A "load more" pager over a list endpoint: calls render(items) per page. */
export function pager(load, render, holder) {
  let cursor = '';
  const more = h('button', { type: 'button', class: 'btn secondary small', text: t('common.more'), hidden: true });
  const next = async () => {
    const page = await load(cursor);
    render(page.items, !cursor);
    cursor = page.next_cursor || '';
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => busy(more, next).catch(toastError));
  holder.append(more);
  return next;
}

/** Loads a classic (UMD) vendored script once. */
const scripts = {};
export function loadScript(src) {
  scripts[src] ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error('cannot load ' + src));
    document.head.append(s);
  });
  return scripts[src];
}

// Drafts: what was typed in forms survives a re-render (a language switch).
let drafts = {};

/** Remembers the typed values of every form with an id on the page. */
export function snapshotForms() {
  drafts = {};
  for (const form of document.querySelectorAll('form[id]')) {
    const vals = {};
    for (const el of form.elements) {
      if (!el.name || el.type === 'file' || el.type === 'password') continue;
      if (el.type === 'checkbox' || el.type === 'radio') vals[el.name + '=' + el.value] = el.checked;
      else vals[el.name] = el.value;
    }
    drafts[form.id] = vals;
  }
}

/** Puts back a form's remembered values, once. */
export function restoreDraft(form) {
  const vals = form.id && drafts[form.id];
  if (!vals) return;
  delete drafts[form.id];
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const k = el.name + '=' + el.value;
      if (k in vals) el.checked = vals[k];
    } else if (el.name in vals && el.type !== 'file' && el.type !== 'password') {
      el.value = vals[el.name];
    }
  }
}

const DRAFT_KEY = 'gatehouse.draft.';

/**
 * Keeps what is typed in form (by its id) in sessionStorage, so that a
 * half-filled form survives a reload of the tab; puts it back at once.
 * Returns clear(), to call once the form is sent. Passwords, files and
 * hidden inputs are never kept; closing the tab forgets the rest.
 */
export function keepDraft(form) {
  const key = DRAFT_KEY + form.id;
  const kept = (el) => el.name && el.type !== 'password' && el.type !== 'file' && el.type !== 'hidden' && el.tagName !== 'BUTTON';
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(key) || 'null'); } catch { saved = null; }
  if (saved) {
    for (const el of form.elements) {
      if (!kept(el)) continue;
      if (el.type === 'checkbox' || el.type === 'radio') {
        const k = el.name + '=' + el.value;
        if (k in saved) el.checked = saved[k];
      } else if (el.name in saved) {
        el.value = saved[el.name];
      }
    }
  }
  const save = () => {
    const vals = {};
    for (const el of form.elements) {
      if (!kept(el)) continue;
      if (el.type === 'checkbox' || el.type === 'radio') vals[el.name + '=' + el.value] = el.checked;
      else vals[el.name] = el.value;
    }
    try { sessionStorage.setItem(key, JSON.stringify(vals)); } catch { /* private mode: no draft */ }
  };
  form.addEventListener('input', save);
  form.addEventListener('change', save);
  return () => { try { sessionStorage.removeItem(key); } catch { /* nothing kept */ } };
}

/** Draws the current page again (after a choice that changes what it shows). */
export function rerender() {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
