// Visitors' self-registration (扫码登记): the visitor's page at /v/TOKEN
// (a phone, no log-in: the privacy notice, separate consent to the ID
// number, the form, then the status turning live into the pass), the
// household's and the guard's pending requests, and the manager's posters.

import { get, post, del, getBlob, liveURL } from './api.js';
import { t, currentLang } from './i18n.js';
import { h, fill, field, idTypeField, onSubmit, toast, toastError, busy, fmtTime, badge, errorText } from './ui.js';
import { qrCanvas } from './guest.js';

const BASE = '/api/v1';

/** The poster token of a /v/TOKEN path, or ''. */
export function posterToken() {
  const m = /^\/v\/([A-Za-z0-9_-]{10,64})\/?$/.exec(location.pathname);
  return m ? m[1] : '';
}

/** Public JSON calls, with no session token. */
async function publicCall(method, path, body) {
  const init = { method, cache: 'no-store', headers: {} };
  if (body) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
  const res = await fetch(BASE + path, init);
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (data && data.error) || {};
    const err = new Error(e.message || res.statusText);
    Object.assign(err, { status: res.status, code: e.code, fields: e.fields || {} });
    throw err;
  }
  return data;
}

const stateKey = (token) => 'gatehouse.visit.' + token;

/** The visitor's page. */
export async function renderVisitor({ el, token, onCleanup }) {
  let page;
  try {
    page = await publicCall('GET', '/register/' + encodeURIComponent(token));
  } catch (err) {
    fill(el, h('div', { class: 'card visit', id: 'visit-invalid' }, h('h1', { text: t('visit.title') }),
      h('div', { class: 'form-error', role: 'alert', text: err.status === 404 ? t('visit.invalid') : errorText(err) })));
    return;
  }
  const head = h('header', { class: 'visit-head' },
    h('h1', { id: 'visit-community', text: page.community.name }),
    h('p', { class: 'muted', text: [t('visit.title'), page.gate ? page.gate.name : ''].filter(Boolean).join(' · ') }));
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(stateKey(token)) || 'null'); } catch { /* none */ }
  if (saved) { statusView(el, head, token, saved, onCleanup); return; }
  const notice = currentLang() === 'en' ? page.notice.text_en : page.notice.text;
  const form = h('form', { id: 'visit-form', class: 'card visit' },
    head,
    h('section', { class: 'notice', id: 'visit-notice' },
      h('h2', { text: t('visit.notice', { days: page.notice.retention_days }) }),
      h('p', { class: 'small', text: notice }),
      h('p', { class: 'small muted', text: t('visit.notice_version', { v: page.notice.version }) })),
    h('div', { class: 'fields' },
      field({ name: 'visitor.name', required: true, autocomplete: 'name' }),
      idTypeField('visitor.id_type'),
      field({ name: 'visitor.id_number', required: true, attrs: { autocapitalize: 'characters', spellcheck: 'false' } }),
      field({ name: 'visitor.phone', type: 'tel', required: true, attrs: { inputmode: 'tel' }, autocomplete: 'tel' }),
      field({ name: 'visitor.plate', placeholder: '粤B12345', attrs: { autocapitalize: 'characters' } }),
      field({ name: 'building', required: true, placeholder: '3栋' }),
      field({ name: 'unit', required: true, placeholder: '2单元' }),
      field({ name: 'room', required: true, placeholder: '502', attrs: { inputmode: 'numeric' } }),
      field({ name: 'purpose', placeholder: t('visit.purpose_hint') }),
      h('div', { class: 'field consent', dataset: { field: 'consent.id_number' } },
        h('label', null, h('input', { type: 'checkbox', name: 'consent.id_number', id: 'visit-consent-id' }), ' ', t('visit.consent_id')),
        h('div', { class: 'err', hidden: true }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'visit-submit', text: t('visit.submit') })),
    h('p', { class: 'small muted', text: t('visit.wait_hint', { m: page.request_minutes }) }));
  onSubmit(form, async (v) => {
    const body = { visitor: v.visitor, building: v.building, unit: v.unit, room: v.room, purpose: v.purpose,
      consent: { id_number: !!(v.consent && v.consent.id_number), notice_version: page.notice.version } };
    const r = await publicCall('POST', '/register/' + encodeURIComponent(token), body);
    const st = { id: r.request_id, token: r.status_token };
    try { sessionStorage.setItem(stateKey(token), JSON.stringify(st)); } catch { /* private mode */ }
    statusView(el, head, token, st, onCleanup);
  });
  fill(el, form);
}

/** The request's live status: waiting, then the pass, or why not. */
function statusView(el, head, token, st, onCleanup) {
  const box = h('div', { id: 'visit-status', dataset: { status: 'pending' } },
    h('p', { class: 'waiting', text: t('visit.waiting') }));
  fill(el, h('div', { class: 'card visit' }, head, box));
  const path = `/register/requests/${st.id}`;
  const q = '?token=' + encodeURIComponent(st.token);
  let done = false;
  let es = null;
  let poll = 0;
  const show = (s) => {
    if (done || !s) return;
    box.dataset.status = s.status;
    if (s.status === 'pending') return;
    done = true;
    if (es) es.close();
    clearInterval(poll);
    if (s.status === 'approved' && s.pass) {
      fill(box, h('section', { class: 'pass-card', id: 'visit-pass' },
        h('h2', { text: t('visit.approved') }),
        h('p', { class: 'muted', text: t('guest.hint') }),
        h('div', { class: 'qr-box' }, qrCanvas(s.pass.code)),
        h('p', { class: 'small', text: t('visit.valid', { from: fmtTime(s.pass.valid_from), until: fmtTime(s.pass.valid_until), n: s.pass.remaining_entries }) }),
        h('div', { class: 'code-text mono', text: s.pass.code })));
    } else {
      fill(box, h('div', { class: 'form-error', role: 'alert', id: 'visit-final', text: t('visit.' + s.status) }),
        h('button', { type: 'button', class: 'btn secondary', text: t('visit.again'), on: { click: () => {
          try { sessionStorage.removeItem(stateKey(token)); } catch { /* none */ }
          location.reload();
        } } }));
    }
  };
  const fetchOnce = () => publicCall('GET', path + q).then(show).catch((err) => {
    if (err.status === 404) { done = true; clearInterval(poll); fill(box, h('div', { class: 'form-error', text: t('visit.invalid') })); }
  });
  if (window.EventSource) {
    es = new EventSource(BASE + path + '/events' + q);
    es.addEventListener('status', (m) => show(JSON.parse(m.data)));
    es.onerror = () => { if (!done && !poll) poll = setInterval(fetchOnce, 2000); };
  } else {
    poll = setInterval(fetchOnce, 2000);
  }
  fetchOnce();
  onCleanup(() => { done = true; if (es) es.close(); clearInterval(poll); });
}

/** Plays a short tone and vibrates, to tell a resident a visitor waits. */
function ring() {
  try { if (navigator.vibrate) navigator.vibrate([200, 100, 200]); } catch { /* not on this device */ }
  try {
    const ac = new (window.AudioContext || window.webkitAudioContext)();
    const o = ac.createOscillator();
    o.frequency.value = 880;
    o.connect(ac.destination);
    o.start();
    o.stop(ac.currentTime + 0.25);
  } catch { /* no audio before a user gesture */ }
}

/**
 * The pending requests of a household (resident) or a community (guard),
 * live: approve or deny each. Guards see the household's phone to call, and
 * with gateID only the requests made at that gate (or through a poster of
 * the whole community).
 */
export async function requestsPanel(ctx, { communityID, gateID } = {}) {
  const list = h('ul', { class: 'pass-list', id: 'visit-requests' });
  const dot = h('span', { class: 'live-dot' });
  const card = h('section', { class: 'card', id: 'visit-panel' }, h('h1', null, dot, t('visit.requests')),
    h('p', { class: 'small muted', text: t('visit.requests_hint') }), list);
  const rows = new Map();
  const empty = () => { if (!list.children.length) list.append(h('li', { class: 'empty', id: 'visit-empty', text: t('visit.none') })); };
  const row = (r) => {
    const who = `${r.visitor.name} · ${r.visitor.phone || ''}${r.visitor.plate ? ' · ' + r.visitor.plate : ''}`;
    const li = h('li', { dataset: { requestId: String(r.id), status: r.status } },
      h('span', { class: 'who-line', text: who }),
      badge(r.status, t('visit.status.' + r.status)),
      h('span', { class: 'small', text: `${r.building}-${r.unit}-${r.room} · ${r.purpose || ''}` }),
      r.household_phone ? h('span', { class: 'small', text: t('visit.call', { phone: r.household_phone }) }) : null,
      r.watchlisted ? h('span', { class: 'badge revoked', text: t('visit.watchlisted') }) : null,
      h('span', { class: 'small muted', text: t('visit.expires', { t: fmtTime(r.expires_at) }) }),
      h('span', { class: 'spacer' }));
    if (r.status === 'pending') {
      const ok = h('button', { type: 'button', class: 'btn small', text: t('visit.approve'), dataset: { approve: String(r.id) } });
      const no = h('button', { type: 'button', class: 'btn danger secondary small', text: t('visit.deny'), dataset: { deny: String(r.id) } });
      ok.addEventListener('click', () => busy(ok, async () => {
        const nr = await post(`/visit-requests/${r.id}/approve`, {});
        put(nr);
        toast(t('visit.approved_toast', { name: r.visitor.name }), 'ok');
      }).catch(toastError));
      no.addEventListener('click', () => busy(no, async () => {
        const nr = await post(`/visit-requests/${r.id}/deny`, {});
        put(nr);
      }).catch(toastError));
      li.append(ok, no);
    }
    return li;
  };
  const put = (r) => {
    const el = row(r);
    const old = rows.get(r.id);
    if (old) old.replaceWith(el);
    else { const e = list.querySelector('#visit-empty'); if (e) e.remove(); list.prepend(el); }
    rows.set(r.id, el);
  };
  fill(ctx.el, card);
  const page = await get('/visit-requests', { community_id: communityID, gate_id: gateID, status: 'pending', limit: 100 });
  if (!ctx.alive()) return;
  for (const r of page.items.reverse()) put(r);
  empty();
  const es = new EventSource(liveURL(communityID));
  ctx.onCleanup(() => es.close());
  es.onopen = () => dot.classList.add('on');
  es.onerror = () => dot.classList.remove('on');
  es.addEventListener('closed', () => { es.close(); dot.classList.remove('on'); });
  es.addEventListener('visit_request', (m) => {
    const r = JSON.parse(m.data);
    if (gateID && r.gate_id && r.gate_id !== gateID) return; // another gate's
    const isNew = !rows.has(r.id) && r.status === 'pending';
    put(r);
    if (r.alert) toast(t('visit.alert', { name: r.visitor.name }), 'error');
    else if (isNew) { toast(t('visit.new', { name: r.visitor.name }), 'ok'); ring(); }
  });
}

/** The manager's posters: print one per gate, revoke a lost one. */
export async function postersPage(ctx) {
  const cid = ctx.communityID;
  const list = h('ul', { class: 'pass-list', id: 'poster-list' });
  const frame = h('div', { id: 'poster-print' });
  const gates = (await get('/gates', { community_id: cid, limit: 500 })).items;
  const form = h('form', { class: 'card', id: 'poster-form' },
    h('h1', { text: t('visit.posters') }),
    h('p', { class: 'small muted', text: t('visit.posters_hint') }),
    h('div', { class: 'fields cols' },
      field({ name: 'gate_id', type: 'select', options: [['', t('visit.whole_community')], ...gates.map((g) => [String(g.id), g.name])] })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'poster-create', text: t('visit.poster_create') })));
  const print = async (p) => {
    const { blob } = await getBlob(`/posters/${p.id}/print`);
    const html = await blob.text();
    const iframe = h('iframe', { id: 'poster-frame', title: t('visit.posters'), style: 'width:100%;height:900px;border:1px solid #ccc' });
    iframe.srcdoc = html;
    fill(frame, h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', id: 'poster-print-btn', text: t('visit.print'),
      on: { click: () => iframe.contentWindow.print() } })), iframe);
  };
  const row = (p) => h('li', { dataset: { posterId: String(p.id) } },
    h('span', { class: 'who-line', text: p.gate_id ? (gates.find((g) => g.id === p.gate_id) || {}).name || '#' + p.gate_id : t('visit.whole_community') }),
    badge(p.revoked ? 'revoked' : 'active', p.revoked ? t('visit.revoked') : t('visit.in_use')),
    h('span', { class: 'small muted', text: fmtTime(p.created_at) }),
    h('span', { class: 'spacer' }),
    p.revoked ? null : h('button', { type: 'button', class: 'btn secondary small', text: t('visit.print'), dataset: { print: String(p.id) },
      on: { click: () => print(p).catch(toastError) } }),
    p.revoked ? null : h('button', { type: 'button', class: 'btn danger secondary small', text: t('visit.revoke'), on: { click: async () => {
      if (!confirm(t('visit.revoke_confirm'))) return;
      await del(`/posters/${p.id}`).catch(toastError);
      load();
    } } }));
  const load = async () => {
    const all = (await get(`/communities/${cid}/posters`)).items;
    fill(list, all.length ? all.map(row) : h('li', { class: 'empty', text: t('common.none') }));
  };
  onSubmit(form, async (v) => {
    const p = await post(`/communities/${cid}/posters`, v.gate_id ? { gate_id: Number(v.gate_id) } : {});
    await load();
    await print(p);
  });
  fill(ctx.el, form, h('section', { class: 'card' }, list), frame);
  await load();
}
