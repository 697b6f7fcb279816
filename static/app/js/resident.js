// The resident's pages (phone first): invite a guest and share the QR, the
// list of own invitations, the own rotating code, and guests' arrivals.

import { get, post, getBlob, saveBlob, liveURL } from './api.js';
import { t, reasonText } from './i18n.js';
import { h, fill, field, idTypeField, onSubmit, toast, toastError, busy, fmtTime, fmtClock, toLocalInput,
  fromLocalInput, copyText, badge, pager, errorText, keepDraft } from './ui.js';
import { requestsPanel } from './visit.js';
import { devicesPanel } from './signin.js';

export const tabs = [
  ['invite', 'resident.tab.invite'],
  ['passes', 'resident.tab.passes'],
  ['code', 'resident.tab.code'],
  ['arrivals', 'resident.tab.arrivals'],
  ['visits', 'visit.requests'],
  ['devices', 'signin.devices.tab'],
];

export function render(ctx) {
  switch (ctx.tab) {
    case 'passes': return passesPage(ctx);
    case 'code': return codePage(ctx);
    case 'arrivals': return arrivalsPage(ctx);
    case 'visits': return requestsPanel(ctx);
    case 'devices': return devicesPanel(ctx);
    default: return invitePage(ctx);
  }
}

/** The link a guest opens to show the QR on their own phone. */
export function guestLink(code) {
  return `${location.origin}/#/guest/${encodeURIComponent(code)}`;
}

/** A pass's QR (fetched with the Authorization header, shown via a blob: URL) and its sharing buttons. */
export async function passCard(ctx, pass, extra) {
  const name = pass.visitor ? pass.visitor.name : '#' + pass.id;
  const img = h('img', { id: 'pass-qr', alt: t('resident.pass.title', { name }), width: 240, height: 240 });
  const card = h('section', { class: 'card pass-card', id: 'pass-card', dataset: { passId: String(pass.id) } },
    h('h2', { text: t('resident.pass.title', { name }) }),
    h('p', { class: 'muted', text: t('resident.pass.show') }),
    h('div', { class: 'qr-box' }, img),
    h('div', { class: 'small' },
      badge(pass.status, t('status.' + pass.status)), ' ',
      t('resident.pass.valid', { from: fmtTime(pass.valid_from), until: fmtTime(pass.valid_until) }), ' · ',
      t('resident.pass.remaining', { n: pass.remaining_entries, max: pass.max_entries })),
    h('div', { class: 'code-text mono', id: 'pass-code', text: pass.code }));
  const actions = h('div', { class: 'actions', style: 'justify-content:center' });
  card.append(actions, h('p', { class: 'small muted', text: t('resident.pass.link_hint') }));
  if (extra) card.append(extra);
  try {
    const { blob } = await getBlob(`/passes/${pass.id}/qr.png`);
    const url = URL.createObjectURL(blob);
    ctx.onCleanup(() => URL.revokeObjectURL(url));
    img.src = url;
    actions.append(
      h('button', { type: 'button', class: 'btn', id: 'pass-download', text: t('resident.pass.download'),
        on: { click: () => saveBlob(blob, `gatehouse-pass-${pass.id}.png`) } }));
  } catch (err) {
    img.replaceWith(h('div', { class: 'form-error', role: 'alert', text: errorText(err) }));
  }
  actions.append(
    h('button', { type: 'button', class: 'btn secondary', id: 'pass-copy-code', text: t('resident.pass.copy_code'), on: { click: () => copyText(pass.code) } }),
    h('button', { type: 'button', class: 'btn secondary', id: 'pass-copy-link', text: t('resident.pass.copy_link'), on: { click: () => copyText(guestLink(pass.code)) } }));
  if (navigator.share) {
    actions.append(h('button', { type: 'button', class: 'btn secondary', text: t('resident.pass.share'), on: {
      click: () => navigator.share({ title: t('guest.title'), text: t('resident.pass.title', { name }), url: guestLink(pass.code) }).catch(() => {}),
    } }));
  }
  return card;
}

async function invitePage(ctx) {
  let maxDays = 7;
  try {
    const cid = (ctx.me.community_ids || [])[0];
    if (cid) maxDays = (await get(`/communities/${cid}`)).max_pass_days || 7;
  } catch { /* the server checks the window anyway */ }
  if (!ctx.alive()) return;
  const until = new Date(Date.now() + 24 * 3600 * 1000);
  const result = h('div', { id: 'invite-result' });
  const form = h('form', { id: 'invite-form', class: 'card' },
    h('h1', { text: t('resident.invite.title') }),
    h('div', { class: 'fields cols' },
      field({ name: 'visitor.name', required: true, autocomplete: 'off' }),
      idTypeField('visitor.id_type'),
      field({ name: 'visitor.id_number', required: true, attrs: { autocapitalize: 'characters', spellcheck: 'false' } }),
      field({ name: 'visitor.phone', type: 'tel', attrs: { inputmode: 'tel' } }),
      field({ name: 'visitor.plate', placeholder: '粤B12345', attrs: { autocapitalize: 'characters' } }),
      field({ name: 'max_entries', type: 'number', value: 1, required: true, hint: t('resident.invite.entries_hint'), attrs: { min: '1', max: '1000', inputmode: 'numeric' } }),
      field({ name: 'valid_from', type: 'datetime-local', hint: t('resident.invite.when_hint', { d: maxDays }) }),
      field({ name: 'valid_until', type: 'datetime-local', required: true, value: toLocalInput(until) }),
      field({ name: 'purpose', placeholder: '' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'invite-submit', text: t('resident.invite.submit') })));
  const clearDraft = keepDraft(form);
  onSubmit(form, async (v) => {
    const body = {
      visitor: { name: v.visitor.name, id_type: v.visitor.id_type, id_number: v.visitor.id_number, phone: v.visitor.phone, plate: v.visitor.plate },
      valid_until: fromLocalInput(v.valid_until),
      max_entries: v.max_entries,
      purpose: v.purpose,
    };
    if (v.valid_from) body.valid_from = fromLocalInput(v.valid_from);
    const pass = await post('/passes', body);
    clearDraft();
    const again = h('div', { class: 'actions', style: 'justify-content:center' },
      h('button', { type: 'button', class: 'btn secondary', id: 'invite-another', text: t('resident.pass.another'), on: {
        click: () => { form.reset(); form.elements['valid_until'].value = toLocalInput(new Date(Date.now() + 24 * 3600 * 1000)); form.hidden = false; fill(result); form.elements['visitor.name'].focus(); },
      } }));
    const card = await passCard(ctx, pass, again);
    form.hidden = true;
    fill(result, card);
    card.scrollIntoView({ block: 'start' });
  });
  fill(ctx.el, form, result);
}

async function passesPage(ctx) {
  const shown = h('div', { id: 'pass-shown' });
  const list = h('ul', { class: 'pass-list', id: 'pass-list' });
  const holder = h('div');
  const card = h('section', { class: 'card' }, h('h1', { text: t('resident.tab.passes') }), list, holder);
  fill(ctx.el, shown, card);
  const row = (p) => {
    const li = h('li', { dataset: { passId: String(p.id) } },
      h('span', { class: 'who-line', text: p.visitor ? p.visitor.name : '#' + p.id }),
      badge(p.status, t('status.' + p.status)),
      h('span', { class: 'small muted', text: t('resident.pass.valid', { from: fmtTime(p.valid_from), until: fmtTime(p.valid_until) }) }),
      h('span', { class: 'small', text: t('resident.pass.remaining', { n: p.remaining_entries, max: p.max_entries }) }),
      h('span', { class: 'spacer' }));
    // QR, download and link only for a pass that can still be used.
    if (p.code && (p.status === 'active' || p.status === 'pending')) {
      li.append(h('button', { type: 'button', class: 'btn secondary small', text: t('resident.passes.show'), dataset: { show: String(p.id) }, on: {
        click: async () => { fill(shown, await passCard(ctx, p)); shown.scrollIntoView({ block: 'start' }); },
      } }));
    }
    if (p.status === 'active' || p.status === 'pending') {
      const btn = h('button', { type: 'button', class: 'btn danger secondary small', text: t('resident.passes.revoke') });
      btn.addEventListener('click', () => {
        const name = p.visitor ? p.visitor.name : '#' + p.id;
        if (!confirm(t('resident.passes.revoke_confirm', { name }))) return;
        busy(btn, async () => {
          const np = await post(`/passes/${p.id}/revoke`);
          li.replaceWith(row(np));
          if (shown.querySelector(`[data-pass-id="${p.id}"]`)) fill(shown); // its QR no longer opens a gate
          toast(t('resident.passes.revoked'), 'ok');
        }).catch(toastError);
      });
      li.append(btn);
    } else {
      li.append(h('span', { class: 'small muted', text: t('resident.passes.unusable') }));
    }
    return li;
  };
  const next = pager((cursor) => get('/passes', { limit: 50, cursor }), (items, first) => {
    if (first && !items.length) list.append(h('li', { class: 'empty', text: t('resident.passes.empty') }));
    for (const p of items) list.append(row(p));
  }, holder);
  await next();
}

async function codePage(ctx) {
  const img = h('img', { id: 'my-code-qr', alt: t('resident.code.title'), width: 240, height: 240 });
  const count = h('div', { class: 'countdown muted', id: 'my-code-countdown' });
  const err = h('div', { role: 'alert' });
  fill(ctx.el, h('section', { class: 'card pass-card' },
    h('h1', { text: t('resident.code.title') }),
    h('p', { class: 'muted', text: t('resident.code.hint') }),
    h('div', { class: 'qr-box' }, img), count, err));
  let timer = 0;
  let tick = 0;
  let expires = 0;
  const stop = () => { clearTimeout(timer); clearInterval(tick); };
  ctx.onCleanup(stop);
  const load = async () => {
    stop();
    try {
      const c = await get(`/residents/${ctx.me.resident_id}/code`);
      if (!ctx.alive()) return;
      img.src = c.qr_png;
      img.dataset.code = c.code;
      fill(err);
      expires = Date.now() + c.refresh_after_seconds * 1000;
      const show = () => { count.textContent = t('resident.code.refresh_in', { s: Math.max(0, Math.ceil((expires - Date.now()) / 1000)) }); };
      show();
      tick = setInterval(show, 1000);
      timer = setTimeout(load, Math.max(1, c.refresh_after_seconds) * 1000);
    } catch (e) {
      if (!ctx.alive()) return;
      fill(err, h('div', { class: 'form-error', text: errorText(e) }));
      timer = setTimeout(load, 10_000);
    }
  };
  // A phone that slept may hold a stale code: fetch a new one on return.
  const onVisible = () => { if (document.visibilityState === 'visible' && Date.now() > expires - 1000) load(); };
  document.addEventListener('visibilitychange', onVisible);
  ctx.onCleanup(() => document.removeEventListener('visibilitychange', onVisible));
  await load();
}

async function arrivalsPage(ctx) {
  const live = h('ul', { class: 'feed', id: 'arrivals-live' });
  const dot = h('span', { class: 'live-dot' });
  const history = h('tbody');
  const holder = h('div');
  fill(ctx.el,
    h('section', { class: 'card' }, h('h1', null, dot, t('resident.arrivals.title')),
      h('p', { class: 'muted small', text: t('resident.arrivals.live') }), live),
    h('section', { class: 'card' }, h('h2', { text: t('entries.title') }),
      h('div', { class: 'table-wrap' }, h('table', null,
        h('thead', null, h('tr', null, [t('common.time'), t('entries.person'), t('field.direction'), t('common.status')].map((x) => h('th', { text: x })))),
        history)), holder));
  const es = new EventSource(liveURL());
  ctx.onCleanup(() => es.close());
  es.onopen = () => dot.classList.add('on');
  es.onerror = () => dot.classList.remove('on');
  es.addEventListener('closed', () => {
    // The account opened a newer stream elsewhere; reconnecting would end that one.
    es.close();
    dot.classList.remove('on');
    live.prepend(h('li', { class: 'form-error', role: 'status', id: 'live-closed', text: t('live.closed') }));
  });
  es.addEventListener('decision', (m) => {
    const ev = JSON.parse(m.data);
    const text = t('resident.arrivals.arrived', { name: ev.person_name || '—' });
    live.prepend(h('li', { class: 'new' }, h('span', { class: 't', text: fmtClock(ev.occurred_at) }), h('span', { text })));
    toast(text, 'ok');
  });
  const next = pager((cursor) => get('/entries', { limit: 50, cursor }), (items, first) => {
    if (first && !items.length) history.append(h('tr', null, h('td', { colspan: 4, class: 'empty', text: t('resident.arrivals.empty') })));
    for (const e of items) {
      history.append(h('tr', null,
        h('td', { text: fmtTime(e.occurred_at) }),
        h('td', { text: e.person_name || '—' }),
        h('td', { text: t('dir.' + e.direction) }),
        h('td', null, badge(e.decision, t('decision.' + e.decision)), ' ', h('span', { class: 'small muted', text: reasonText(e.reason) }))));
    }
  }, holder);
  await next();
}
