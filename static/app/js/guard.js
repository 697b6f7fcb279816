// The gate-house console: the scan field (a USB or Bluetooth scanner types
// the code and Enter), the camera, the full-screen decision, walk-ins,
// manual overrides, the on-site roll-call and the live feed.

import { get, post, liveURL } from './api.js';
import { t, reasonText, fieldLabel } from './i18n.js';
import { h, fill, field, idTypeField, onSubmit, toast, toastError, fmtTime, fmtClock, fromLocalInput, dwelling, badge,
  table, loadScript, busy, errorText, clearErrors, rerender, keepDraft } from './ui.js';
import { requestsPanel } from './visit.js';
import { needsGuard, plateCard } from './plates.js';

export const tabs = [
  ['scan', 'guard.tab.scan'],
  ['walkin', 'guard.tab.walkin'],
  ['override', 'guard.tab.override'],
  ['onsite', 'guard.tab.onsite'],
  ['visits', 'visit.requests'],
];

const GATE_KEY = 'gatehouse.gate';
const DIR_KEY = 'gatehouse.direction';

let gates = null; // cached for the session of this page

async function loadGates() {
  if (!gates) {
    const list = await get('/gates', { limit: 500 });
    gates = list.items.filter((g) => !g.disabled);
  }
  return gates;
}

function currentGate() {
  const saved = Number(localStorage.getItem(GATE_KEY));
  return (gates || []).find((g) => g.id === saved) || (gates || [])[0] || null;
}

export async function render(ctx) {
  try {
    await loadGates();
  } catch (err) {
    gates = null;
    throw err;
  }
  if (!ctx.alive()) return;
  if (!gates.length) {
    fill(ctx.el, h('div', { class: 'card' }, h('p', { class: 'form-error', text: t('guard.no_gates') })));
    return;
  }
  switch (ctx.tab) {
    case 'walkin': return walkinPage(ctx);
    case 'override': return overridePage(ctx);
    case 'onsite': return onsitePage(ctx);
    case 'visits': return requestsPanel(ctx, { communityID: (currentGate() || {}).community_id, gateID: (currentGate() || {}).id });
    default: return scanPage(ctx);
  }
}

/** The gate picker shared by every tab; the choice is kept on this device. */
function gateBar(ctx, onChange) {
  const multi = new Set(gates.map((g) => g.community_id)).size > 1;
  const name = (g) => {
    const c = ctx.communities.find((x) => x.id === g.community_id);
    return multi && c ? `${c.name} · ${g.name}` : g.name;
  };
  const sel = h('select', { id: 'gate-select', name: 'gate_id', dataset: { field: 'gate_id' }, 'aria-label': t('guard.gate') },
    gates.map((g) => h('option', { value: String(g.id), text: name(g) })));
  sel.value = String(currentGate().id);
  sel.addEventListener('change', () => {
    localStorage.setItem(GATE_KEY, sel.value);
    if (onChange) onChange(currentGate());
  });
  return h('div', { class: 'field', style: 'max-width:22rem' }, h('label', { for: 'gate-select', text: t('guard.gate') }), sel, h('div', { class: 'err', hidden: true }));
}

// ---- the decision screen ----

let overlay = null;
let overlayTimer = 0;

// Esc closes the decision screen on every tab.
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && overlay) closeResult(); });

function closeResult() {
  clearTimeout(overlayTimer);
  if (overlay) { overlay.remove(); overlay = null; }
  const scan = document.getElementById('scan-code');
  if (scan) scan.focus();
}

/**
 * Shows a decision full screen: green for grant, red for deny, with the
 * person, the host's dwelling, the reason in words and the entries left.
 */
function showResult(d, opts = {}) {
  closeResult();
  const grant = d.decision === 'grant';
  const person = d.visitor ? d.visitor.name : d.resident ? d.resident.name : '';
  const host = d.host ? t('guard.host', { h: `${dwelling(d.host)}${d.host.name ? ' · ' + d.host.name : ''}` })
    : d.resident ? t('guard.resident', { h: dwelling(d.resident) }) : '';
  const meta = [];
  if (d.remaining_entries !== undefined && d.remaining_entries !== null) meta.push(t('guard.remaining', { n: d.remaining_entries }));
  if (d.visitor && d.visitor.plate) meta.push(d.visitor.plate);
  meta.push(t('dir.' + d.direction + '.long'));
  const actions = h('div', { class: 'result-actions' });
  if (!grant && d.pass_id && opts.overrideLink !== false) {
    actions.append(h('a', { class: 'btn', href: `#/guard/override/pass/${d.pass_id}`, text: t('guard.override_this'),
      on: { click: (e) => e.stopPropagation() } }));
  }
  overlay = h('div', {
    class: 'result ' + (grant ? 'grant' : 'deny'), id: 'result', role: 'alert', 'aria-live': 'assertive',
    dataset: { decision: d.decision, reason: d.reason, entryId: String(d.entry_id || '') },
    on: { click: closeResult },
  },
  h('div', { class: 'icon', 'aria-hidden': 'true', text: grant ? '✓' : '✕' }),
  h('div', { class: 'verdict', id: 'result-verdict', text: verdictText(d) }),
  h('div', { class: 'reason', id: 'result-reason', text: decisionReason(d) }),
  person ? h('div', { class: 'person', id: 'result-person', text: person }) : null,
  host ? h('div', { class: 'host', id: 'result-host', text: host }) : null,
  h('div', { class: 'meta', id: 'result-meta', text: meta.join(' · ') }),
  actions.childNodes.length ? actions : null,
  h('div', { class: 'dismiss', text: t('guard.dismiss') }));
  document.body.append(overlay);
  // The console stays ready: the scanner's next code goes to the scan field.
  const scan = document.getElementById('scan-code');
  if (scan) scan.focus();
  overlayTimer = setTimeout(closeResult, grant ? 8000 : 20000);
}

/** The verdict in words: leaving is 离开, not a welcome. */
function verdictText(d) {
  if (d.decision !== 'grant') return t('guard.denied');
  return d.direction === 'out' ? t('guard.granted_out') : t('guard.granted');
}

/** The reason in words, with when a pass starts or ended. */
function decisionReason(d) {
  if (d.decision === 'grant' && d.direction === 'out' && d.reason === 'granted') return t('guard.goodbye');
  if (d.reason === 'not_yet_valid' && d.valid_from) return t('guard.starts_at', { r: reasonText(d.reason), t: fmtTime(d.valid_from) });
  if (d.reason === 'expired' && d.valid_until) return t('guard.ended_at', { r: reasonText(d.reason), t: fmtTime(d.valid_until) });
  return reasonText(d.reason);
}

/** A failed request (no network, a server error): nothing was decided, nothing logged. */
function showFailure(text) {
  closeResult();
  overlay = h('div', { class: 'result deny failed', id: 'result', role: 'alert', 'aria-live': 'assertive', dataset: { decision: 'error' },
    on: { click: closeResult } },
  h('div', { class: 'icon', 'aria-hidden': 'true', text: '!' }),
  h('div', { class: 'verdict', id: 'result-verdict', text }),
  h('div', { class: 'dismiss', text: t('guard.dismiss') }));
  document.body.append(overlay);
  const scan = document.getElementById('scan-code');
  if (scan) scan.focus();
  overlayTimer = setTimeout(closeResult, 6000);
}

// ---- gate health: online/offline, forced doors ----

const FORCED_SEEN_KEY = 'gatehouse.forced-seen';

/** The current gate's online badge and the alerts of forced doors in its
 * community (the last 30 minutes, until dismissed), refreshed every 15 s. */
function gateHealth(ctx) {
  const badgeSlot = h('span', { id: 'gate-online', 'aria-live': 'polite' });
  const alerts = h('div', { id: 'door-alerts', 'aria-live': 'assertive' });
  const refresh = async () => {
    const gate = currentGate();
    if (!gate) return;
    const [g, forced] = await Promise.all([get(`/gates/${gate.id}`),
      get('/door-events', { community_id: gate.community_id, kind: 'door_forced', limit: 10 })]);
    if (!ctx.alive()) return;
    const st = g.status || {};
    fill(badgeSlot, st.online ? badge('active', t('gate.online')) : badge('disabled', t('gate.offline')));
    badgeSlot.title = st.last_seen ? t('gate.last_seen', { time: fmtTime(st.last_seen) }) : t('gate.never_seen');
    const seen = Number(localStorage.getItem(FORCED_SEEN_KEY)) || 0;
    const recent = forced.items.filter((e) => e.id > seen && Date.now() - new Date(e.occurred_at).getTime() < 30 * 60_000);
    fill(alerts, recent.map((e) => {
      const at = gates.find((x) => x.id === e.gate_id);
      const ok = h('button', { type: 'button', class: 'btn small secondary', text: t('door.dismiss') });
      const box = h('div', { class: 'form-error door-alert', role: 'alert', dataset: { eventId: e.event_id } },
        h('strong', { text: t('door.forced_alert', { gate: at ? at.name : '#' + e.gate_id, door: e.door, time: fmtClock(e.occurred_at) }) }), ' ', ok);
      ok.addEventListener('click', () => {
        localStorage.setItem(FORCED_SEEN_KEY, String(Math.max(seen, ...recent.map((x) => x.id))));
        fill(alerts);
      });
      return box;
    }));
  };
  refresh().catch(() => {});
  const timer = setInterval(() => refresh().catch(() => {}), 15_000);
  ctx.onCleanup(() => clearInterval(timer));
  return { badge: badgeSlot, alerts, refresh: () => refresh().catch(() => {}) };
}

// ---- scan ----

function scanPage(ctx) {
  let direction = localStorage.getItem(DIR_KEY) === 'out' ? 'out' : 'in';
  const dirButtons = ['in', 'out'].map((d) => h('button', { type: 'button', 'aria-pressed': String(d === direction), dataset: { dir: d }, text: t('dir.' + d) }));
  const dirToggle = h('div', { class: 'dir-toggle', role: 'group', 'aria-label': t('field.direction') }, dirButtons);
  const code = h('input', { id: 'scan-code', name: 'code', dataset: { field: 'code' }, autocomplete: 'off', spellcheck: 'false',
    autocapitalize: 'off', enterkeyhint: 'go', placeholder: t('guard.scan.placeholder'), 'aria-label': t('guard.scan.label') });
  const camBtn = h('button', { type: 'button', class: 'btn secondary', id: 'camera-toggle', text: t('guard.camera.start') });
  const camBox = h('div', { class: 'camera', hidden: true });
  const last = h('div', { id: 'last-result', 'aria-live': 'polite' });
  const form = h('form', { id: 'scan-form', autocomplete: 'off' },
    h('div', { class: 'field', dataset: { field: 'code' } },
      h('label', { for: 'scan-code', text: t('guard.scan.label') }),
      h('div', { class: 'scan-box' }, code, h('button', { type: 'submit', class: 'btn', id: 'scan-submit', text: t('guard.scan.button') })),
      h('div', { class: 'err', hidden: true })));
  const feed = h('ul', { class: 'feed', id: 'live-feed' }, h('li', { class: 'empty', text: t('guard.feed.empty') }));
  const plates = h('div', { id: 'plate-cards' }); // cars at a vehicle gate waiting for the guard
  const dot = h('span', { class: 'live-dot', id: 'live-dot' });
  const dotText = h('span', { class: 'small muted' });
  let es = null;

  const connect = (gate) => {
    if (es) es.close();
    es = new EventSource(liveURL(gate.community_id));
    es.onopen = () => { dot.classList.add('on'); dotText.textContent = t('guard.feed.connected'); };
    es.onerror = () => { dot.classList.remove('on'); dotText.textContent = t('guard.feed.disconnected'); };
    es.addEventListener('decision', (m) => {
      const ev = JSON.parse(m.data);
      addFeed(feed, ev);
      if (needsGuard(ev)) plateCard(plates, ev, gates, hostPicker);
    });
    es.addEventListener('closed', () => {
      // This account opened a newer stream elsewhere; reconnecting would end that one.
      es.close();
      dot.classList.remove('on');
      dotText.textContent = t('live.closed');
      dotText.id = 'live-closed';
    });
  };
  ctx.onCleanup(() => es && es.close());
  const health = gateHealth(ctx);

  fill(ctx.el, h('div', { class: 'grid grid-main' },
    h('section', { class: 'card' },
      health.alerts,
      h('div', { class: 'row', style: 'align-items:flex-end' }, gateBar(ctx, (g) => { connect(g); health.refresh(); code.focus(); }), health.badge,
        h('span', { class: 'spacer' }), dirToggle),
      h('div', { style: 'margin-top:1rem' }, form),
      h('div', { class: 'actions' }, camBtn),
      camBox,
      h('h3', { text: t('guard.last') }), last),
    h('section', { class: 'card' }, plates, h('h2', null, dot, t('guard.feed.title'), ' ', dotText), feed)));

  for (const b of dirButtons) {
    b.addEventListener('click', () => {
      direction = b.dataset.dir;
      localStorage.setItem(DIR_KEY, direction);
      for (const x of dirButtons) x.setAttribute('aria-pressed', String(x === b));
      code.focus();
    });
  }

  const scan = async (value) => {
    const gate = currentGate();
    const d = await post('/scan', { code: value, direction, gate_id: gate.id });
    showResult(d);
    fill(last, h('div', { class: 'last-result ' + d.decision },
      `${fmtClock(d.occurred_at)} · ${verdictText(d)} · ${decisionReason(d)}`,
      d.visitor ? ` · ${d.visitor.name}` : d.resident ? ` · ${d.resident.name}` : ''));
  };

  // Each code is taken out of the box the moment Enter comes, so the
  // scanner's next code never joins it, and scans are sent one after the
  // other (the button is never disabled: a disabled default button would
  // swallow the next Enter). A code keeps its spaces: GH2 codes have them.
  let queue = Promise.resolve();
  const take = () => {
    const value = code.value.replace(/[\r\n\t]/g, '');
    code.value = '';
    code.focus();
    if (!value.trim()) return;
    clearErrors(form);
    queue = queue.then(() => scan(value)).catch((err) => {
      if (!ctx.alive()) return;
      code.focus(); // the box was emptied when Enter came; a code typed since stays whole
      if (err && err.status === 401) return; // the log-in page takes over
      if (!err || err.status === 0 || err.status >= 500) {
        showFailure(t('guard.scan.failed'));
        fill(last, h('div', { class: 'form-error', role: 'alert', id: 'scan-failed', text: t('guard.scan.failed') }));
        return;
      }
      const msg = err.fields && Object.keys(err.fields).length
        ? Object.entries(err.fields).map(([k, v]) => `${fieldLabel(k)}: ${v}`).join('\n') : errorText(err);
      fill(last, h('div', { class: 'form-error', role: 'alert', text: msg }));
    });
  };
  form.noValidate = true;
  form.addEventListener('submit', (ev) => { ev.preventDefault(); take(); });
  code.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); take(); }
  });

  // A scanner types wherever the focus is: send stray keys to the scan field.
  const onKey = (e) => {
    if (e.key === 'Escape') return;
    const a = document.activeElement;
    const editable = a && (a.matches('input, textarea, select, [contenteditable]'));
    if (!editable && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) code.focus();
  };
  document.addEventListener('keydown', onKey);
  const onFocus = () => { if (!document.activeElement || document.activeElement === document.body) code.focus(); };
  window.addEventListener('focus', onFocus);
  ctx.onCleanup(() => { document.removeEventListener('keydown', onKey); window.removeEventListener('focus', onFocus); closeResult(); });

  // The camera: jsQR (vendored) reads frames of the video.
  let camera = null;
  const stopCamera = () => { if (camera) { camera.stop(); camera = null; } camBox.hidden = true; camBtn.textContent = t('guard.camera.start'); };
  ctx.onCleanup(stopCamera);
  camBtn.addEventListener('click', async () => {
    if (camera) { stopCamera(); code.focus(); return; }
    camBox.hidden = false;
    try {
      camera = await startCamera(camBox, (value) => {
        scan(value).catch((err) => fill(last, h('div', { class: 'form-error', role: 'alert', text: errorText(err) })));
      });
      camBtn.textContent = t('guard.camera.stop');
    } catch (err) {
      camera = null;
      const msg = window.isSecureContext ? (err && err.message) || String(err) : t('guard.camera.insecure');
      fill(camBox, h('div', { class: 'form-error', role: 'alert', text: t('guard.camera.unavailable', { msg }) }));
    }
  });

  connect(currentGate());
  code.focus();
}

function addFeed(feed, ev) {
  const empty = feed.querySelector('.empty');
  if (empty) empty.remove();
  const gate = (gates || []).find((g) => g.id === ev.gate_id);
  const who = ev.person_name || (ev.resident && ev.resident.name) || ev.plate || '—';
  const host = ev.host ? dwelling(ev.host) : ev.resident ? dwelling(ev.resident) : '';
  feed.prepend(h('li', { class: 'new', dataset: { entryId: String(ev.entry_id), decision: ev.decision } },
    h('span', { class: 't', text: fmtClock(ev.occurred_at) }),
    h('span', null, badge(ev.decision, t('decision.' + ev.decision)), ' ', h('strong', { text: who }), ' ',
      t('dir.' + ev.direction), gate ? ` · ${gate.name}` : '', host ? ` · ${host}` : ''),
    h('span'), h('span', { class: 'small muted', text: reasonText(ev.reason) + (ev.note ? ` — ${ev.note}` : '') })));
  while (feed.children.length > 100) feed.lastChild.remove();
}

/** Opens the back camera and calls onCode for each QR code seen (once per 4 s per code). */
async function startCamera(box, onCode) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error(t('guard.camera.insecure'));
  await loadScript('/vendor/jsQR.js');
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  const video = h('video', { playsinline: true, muted: true, autoplay: true });
  video.setAttribute('playsinline', '');
  video.srcObject = stream;
  fill(box, video, h('p', { class: 'small muted', text: t('guard.camera.hint') }));
  await video.play();
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  let running = true;
  let lastCode = '';
  let lastAt = 0;
  const frame = () => {
    if (!running) return;
    if (video.readyState >= 2 && video.videoWidth) {
      const scale = Math.min(1, 640 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      g.drawImage(video, 0, 0, canvas.width, canvas.height);
      const img = g.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
      if (found && found.data && (found.data !== lastCode || Date.now() - lastAt > 4000)) {
        lastCode = found.data;
        lastAt = Date.now();
        onCode(found.data);
      }
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  return { stop() { running = false; for (const tr of stream.getTracks()) tr.stop(); video.srcObject = null; fill(box); } };
}

// ---- host picker (walk-ins and overrides) ----

/**
 * A search over the community's residents (by dwelling as "3-2-502" or
 * "3栋2单元502", by name or by phone tail) that fills the input name.
 */
function hostPicker(communityID, name = 'host_resident_id', id = 'host-search') {
  const hidden = h('input', { type: 'hidden', name });
  const search = h('input', { type: 'search', id, placeholder: t('host.pick.placeholder'), autocomplete: 'off', dataset: { field: name } });
  const results = h('ul', { class: 'picker-results', hidden: true });
  const picked = h('div', { class: 'picked', hidden: true });
  let timer = 0;
  const choose = (r) => {
    hidden.value = String(r.id);
    fill(picked, h('span', { text: `${dwelling(r)} · ${r.name}` }), h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'btn secondary small', text: t('host.change'), on: {
        click: () => { hidden.value = ''; picked.hidden = true; search.hidden = false; search.focus(); },
      } }));
    picked.hidden = false;
    search.hidden = true;
    results.hidden = true;
  };
  const find = async () => {
    const q = search.value.trim();
    if (!q) { results.hidden = true; return; }
    try {
      const list = await get('/residents', { community_id: communityID, q, limit: 10 });
      fill(results, list.items.length ? list.items.map((r) => h('li', null, h('button', { type: 'button', text: `${dwelling(r)} · ${r.name}`, on: { click: () => choose(r) } })))
        : h('li', { class: 'empty', text: t('host.none') }));
      results.hidden = false;
    } catch (err) { toastError(err); }
  };
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(find, 250); });
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); find(); } });
  const el = h('div', { class: 'field' },
    h('label', { for: id }, t('field.' + name), h('span', { class: 'req', text: '*' })),
    hidden, search, picked, results, h('div', { class: 'err', hidden: true }));
  el.reset = () => { hidden.value = ''; search.value = ''; picked.hidden = true; search.hidden = false; results.hidden = true; };
  return el;
}

function visitorFields() {
  return [
    field({ name: 'visitor.name', required: true }),
    idTypeField('visitor.id_type'),
    field({ name: 'visitor.id_number', required: true, attrs: { autocapitalize: 'characters', spellcheck: 'false' } }),
    field({ name: 'visitor.phone', type: 'tel' }),
    field({ name: 'visitor.plate', attrs: { autocapitalize: 'characters' } }),
  ];
}

function cleanVisitor(v) {
  return { name: v.name, id_type: v.id_type, id_number: v.id_number, phone: v.phone, plate: v.plate };
}

// ---- walk-in ----

function walkinPage(ctx) {
  const gateField = gateBar(ctx, rerender);
  const picker = hostPicker(currentGate().community_id);
  const form = h('form', { id: 'walkin-form', class: 'card' },
    h('h1', { text: t('guard.walkin.title') }),
    h('p', { class: 'muted small', text: t('guard.walkin.hint') }),
    gateField,
    h('div', { class: 'fields cols', style: 'margin-top:.75rem' },
      picker,
      ...visitorFields(),
      field({ name: 'purpose' }),
      field({ name: 'max_entries', type: 'number', placeholder: '1', attrs: { min: '1', max: '1000' } }),
      field({ name: 'valid_until', type: 'datetime-local' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'walkin-submit', text: t('guard.walkin.submit') })));
  const clearDraft = keepDraft(form);
  onSubmit(form, async (v) => {
    const body = { gate_id: currentGate().id, host_resident_id: Number(v.host_resident_id) || 0, visitor: cleanVisitor(v.visitor), purpose: v.purpose };
    if (v.max_entries) body.max_entries = v.max_entries;
    if (v.valid_until) body.valid_until = fromLocalInput(v.valid_until);
    const res = await post('/walkins', body);
    clearDraft();
    showResult(res.entry, { overrideLink: false });
    form.reset();
    picker.reset();
  });
  fill(ctx.el, form);
}

// ---- manual override ----

function overridePage(ctx) {
  const gateField = gateBar(ctx, rerender);
  const [kind, id] = (ctx.arg || '').split('/');
  const withPass = kind === 'pass' && Number(id) > 0;
  const picker = hostPicker(currentGate().community_id);
  const residentPicker = hostPicker(currentGate().community_id, 'resident_id', 'resident-search');
  const byPass = h('div', { class: 'fields cols', hidden: !withPass }, field({ name: 'pass_id', type: 'number', value: withPass ? id : '', attrs: { min: '1' } }));
  const byVisitor = h('div', { class: 'fields cols', hidden: withPass }, picker, ...visitorFields());
  const byResident = h('div', { class: 'fields cols', hidden: true }, residentPicker);
  // The attribute, not the property: form.reset() goes back to it.
  const radio = (value, key, checked) => h('label', null, h('input', { type: 'radio', name: 'mode', value, checked: checked ? '' : null }), t(key));
  const modes = h('div', { class: 'checks', role: 'radiogroup', 'aria-label': t('guard.override.by') },
    withPass ? radio('pass', 'guard.override.by_pass', true) : null,
    radio('visitor', 'guard.override.by_visitor', !withPass),
    radio('resident', 'guard.override.by_resident', false));
  const form = h('form', { id: 'override-form', class: 'card' },
    h('h1', { text: t('guard.override.title') }),
    h('p', { class: 'muted small', text: t('guard.override.hint') }),
    gateField,
    h('div', { class: 'fields cols', style: 'margin-top:.75rem' },
      field({ name: 'direction', type: 'select', value: 'in', options: [['in', t('dir.in.long')], ['out', t('dir.out.long')]] }),
      h('div', { class: 'field', dataset: { field: 'person' } }, h('span', { class: 'label', text: t('guard.override.by') }), modes, h('div', { class: 'err', hidden: true }))),
    h('div', { style: 'margin-top:.75rem' }, byPass, byVisitor, byResident),
    h('div', { class: 'fields', style: 'margin-top:.75rem' }, field({ name: 'reason', type: 'textarea', required: true, rows: 3 })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn danger', id: 'override-submit', text: t('guard.override.submit') })));
  const sync = () => {
    const mode = form.elements.mode.value;
    for (const [box, m] of [[byPass, 'pass'], [byVisitor, 'visitor'], [byResident, 'resident']]) {
      box.hidden = mode !== m;
      for (const el of box.querySelectorAll('input, select')) el.disabled = mode !== m;
    }
  };
  form.addEventListener('change', (e) => { if (e.target.name === 'mode') sync(); });
  onSubmit(form, async (v) => {
    const body = { gate_id: currentGate().id, direction: v.direction, reason: v.reason };
    if (v.mode === 'pass') body.pass_id = v.pass_id || 0;
    else if (v.mode === 'resident') body.resident_id = Number(form.elements.resident_id.value) || 0;
    else { body.visitor = cleanVisitor(v.visitor || {}); body.host_resident_id = Number(form.elements.host_resident_id.value) || 0; }
    const d = await post('/entries/manual', body);
    showResult(d, { overrideLink: false });
    form.reset();
    picker.reset();
    residentPicker.reset();
    sync();
  });
  fill(ctx.el, form);
  sync();
  form.elements.reason.focus();
}

// ---- on site ----

async function onsitePage(ctx) {
  const gateField = gateBar(ctx, rerender);
  const gate = currentGate();
  const community = ctx.communities.find((c) => c.id === gate.community_id);
  const body = h('div', { id: 'onsite-list' }, h('p', { class: 'loading', text: t('common.loading') }));
  const printHead = h('div', { class: 'print-only' });
  const refresh = h('button', { type: 'button', class: 'btn secondary', text: t('common.refresh') });
  const print = h('button', { type: 'button', class: 'btn', id: 'onsite-print', text: t('guard.onsite.print'), on: { click: () => window.print() } });
  fill(ctx.el, h('section', { class: 'card onsite-print' },
    h('div', { class: 'no-print' }, gateField),
    h('div', { class: 'row no-print', style: 'margin-top:.5rem' }, h('h1', { text: t('guard.onsite.title'), style: 'margin:0' }), h('span', { class: 'spacer' }), refresh, print),
    printHead, body));
  const load = async () => {
    const res = await get('/onsite', { community_id: gate.community_id });
    if (!ctx.alive()) return;
    const items = res.items;
    fill(printHead,
      h('h1', { text: `${t('guard.onsite.print_title')}${community ? ' — ' + community.name : ''}` }),
      h('p', { text: t('guard.onsite.printed_at', { t: fmtTime(new Date().toISOString()), n: items.length }) }));
    const th = community ? community.onsite_threshold_hours : 72;
    const leave = (p) => {
      const btn = h('button', { type: 'button', class: 'btn secondary small no-print', text: t('guard.onsite.leave'), dataset: { leave: String(p.entry_id) } });
      btn.addEventListener('click', () => busy(btn, async () => {
        // A manual "out" on the visitor's pass, with the guard's name as its reason.
        await post('/entries/manual', { gate_id: currentGate().id, direction: 'out', pass_id: p.pass_id,
          reason: t('guard.onsite.leave_reason', { name: ctx.me.username }) });
        toast(t('guard.onsite.left', { name: p.name }), 'ok');
        await load();
      }).catch(toastError));
      return p.pass_id && p.kind !== 'vehicle' ? btn : null;
    };
    fill(body, table(
      ['#', t('common.name'), t('field.id_number'), t('field.plate'), t('field.phone'), t('entries.host'), t('guard.onsite.since'), t('guard.onsite.hours'),
        h('th', { class: 'no-print', text: t('common.actions') }),
        h('th', { class: 'print-only check', text: t('guard.onsite.check') })],
      items.map((p, i) => h('tr', { class: p.over_threshold ? 'over' : '', dataset: { entryId: String(p.entry_id) } },
        h('td', { class: 'num', text: String(i + 1) }),
        h('td', null, h('strong', { text: p.kind === 'vehicle' ? t('guard.onsite.vehicle') : p.name })),
        h('td', { class: 'mono', text: p.id_number }),
        h('td', { text: p.plate || '' }),
        h('td', { text: p.phone || '' }),
        h('td', { text: p.host ? `${dwelling(p.host)} · ${p.host.name}` : '' }),
        h('td', { text: fmtTime(p.since) }),
        h('td', { class: 'num' }, String(p.hours_on_site), p.over_threshold ? [' ', badge('warn', t('guard.onsite.over', { h: th }))] : null),
        h('td', { class: 'no-print' }, leave(p)),
        h('td', { class: 'print-only check' }))),
      t('guard.onsite.empty')));
  };
  refresh.addEventListener('click', () => busy(refresh, load).catch(toastError));
  const timer = setInterval(() => load().catch(() => {}), 30_000);
  ctx.onCleanup(() => clearInterval(timer));
  try {
    await load();
  } catch (err) {
    fill(body, h('div', { class: 'form-error', role: 'alert', text: errorText(err) }));
  }
}
