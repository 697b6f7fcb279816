// Pages that managers and the admin share: community settings, accounts
// and the entry log.

import { get, post, patch } from './api.js';
import { t, reasonText } from './i18n.js';
import { h, fill, field, checksField, onSubmit, showOK, toast, toastError, busy, fmtTime, fromLocalInput, dwelling,
  badge, pager, table, errorText } from './ui.js';

/** A form for a community's settings; PATCHes it (or POSTs a new one when c is null). */
export function communityForm(c, onSaved) {
  const form = h('form', { id: c ? `community-form-${c.id}` : 'community-new-form', class: 'card' },
    h('h2', { text: c ? `${t('settings.title')} — ${c.name}` : t('communities.new') }),
    h('div', { class: 'fields cols' },
      field({ name: 'name', label: t('communities.name'), required: true, value: c ? c.name : '' }),
      field({ name: 'address', value: c ? c.address : '' }),
      field({ name: 'anti_passback', type: 'select', value: c ? c.anti_passback : 'off', options: [['off', t('common.no')], ['on', t('common.yes')]] }),
      field({ name: 'time_zone', value: c ? c.time_zone : 'Asia/Shanghai' }),
      field({ name: 'max_pass_days', type: 'number', value: c ? c.max_pass_days : 7, attrs: { min: '1', max: '366' } }),
      field({ name: 'onsite_threshold_hours', type: 'number', value: c ? c.onsite_threshold_hours : 72, attrs: { min: '1' } }),
      field({ name: 'visit_request_minutes', type: 'number', value: c ? c.visit_request_minutes : 10, attrs: { min: '1', max: '1440' } }),
      field({ name: 'visit_pass_hours', type: 'number', value: c ? c.visit_pass_hours : 8, attrs: { min: '1' } }),
      field({ name: 'visit_pass_entries', type: 'number', value: c ? c.visit_pass_entries : 1, attrs: { min: '1', max: '1000' } }),
      field({ name: 'webhook_url', type: 'url', value: c ? c.webhook_url : '', placeholder: 'https://' }),
      field({ name: 'webhook_secret', type: 'password', autocomplete: 'new-password', hint: c && c.webhook_secret_set ? t('settings.webhook_secret_set') : '' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: c ? t('common.save') : t('common.create') })));
  onSubmit(form, async (v) => {
    const body = { name: v.name, address: v.address, anti_passback: v.anti_passback, time_zone: v.time_zone,
      max_pass_days: v.max_pass_days, onsite_threshold_hours: v.onsite_threshold_hours, visit_request_minutes: v.visit_request_minutes,
      visit_pass_hours: v.visit_pass_hours, visit_pass_entries: v.visit_pass_entries, webhook_url: v.webhook_url };
    const secret = form.elements.webhook_secret.value;
    if (secret) body.webhook_secret = secret;
    const saved = c ? await patch(`/communities/${c.id}`, body) : await post('/communities', body);
    form.elements.webhook_secret.value = '';
    if (c) showOK(form, t('common.saved'));
    if (onSaved) onSaved(saved);
  });
  return form;
}

/**
 * The accounts page. A manager makes guard and resident accounts of its
 * community; the admin any account.
 */
export async function accountsPage(ctx, { roles, communityID, presetResident }) {
  const list = h('div', { id: 'accounts-list' });
  const holder = h('div');
  const roleSel = h('select', { 'aria-label': t('field.role') }, h('option', { value: '', text: t('common.all') }),
    roles.map((r) => h('option', { value: r, text: t('role.' + r) })));
  const communityItems = ctx.communities.map((c) => [c.id, c.name]);
  const residentField = field({ name: 'resident_id', type: 'number', value: presetResident || '', hint: t('field.resident_id') + ' ID', attrs: { min: '1' } });
  const commField = checksField('community_ids', communityItems, communityID ? [communityID] : []);
  const form = h('form', { id: 'account-form', class: 'card' },
    h('h2', { text: t('accounts.new') }),
    h('div', { class: 'fields cols' },
      field({ name: 'username', required: true, attrs: { autocapitalize: 'off', spellcheck: 'false' } }),
      field({ name: 'password', type: 'password', required: true, autocomplete: 'new-password', hint: t('accounts.password_hint') }),
      field({ name: 'role', type: 'select', value: presetResident ? 'resident' : roles[0], options: roles.map((r) => [r, t('role.' + r)]) }),
      residentField, commField),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'account-submit', text: t('common.create') })));
  const sync = () => {
    const role = form.elements.role.value;
    residentField.hidden = role !== 'resident';
    commField.hidden = role === 'resident' || role === 'admin' || role === 'district';
  };
  form.elements.role.addEventListener('change', sync);
  sync();
  onSubmit(form, async (v) => {
    const body = { username: v.username, password: form.elements.password.value, role: v.role };
    if (v.role === 'resident') body.resident_id = v.resident_id || 0;
    else if (v.role !== 'admin' && v.role !== 'district') body.community_ids = v.community_ids || [];
    const u = await post('/users', body);
    form.elements.username.value = '';
    form.elements.password.value = '';
    showOK(form, `${u.username} · ${t('role.' + u.role)}`);
    await load();
  });
  fill(ctx.el, h('div', { class: 'grid grid-main' },
    h('section', { class: 'card' }, h('div', { class: 'row' }, h('h1', { text: t('accounts.title'), style: 'margin:0' }), h('span', { class: 'spacer' }), roleSel), list, holder),
    form));
  const names = Object.fromEntries(ctx.communities.map((c) => [c.id, c.name]));
  // A resident's account shows the resident's name and dwelling, read once per page.
  const residents = {};
  const residentCell = (u) => {
    const td = h('td', { text: (u.community_ids || []).map((id) => names[id] || '#' + id).join('、') });
    if (u.resident_id) {
      residents[u.resident_id] ??= get(`/residents/${u.resident_id}`).catch(() => null);
      residents[u.resident_id].then((r) => {
        if (r) td.textContent = t('accounts.resident_of', { name: r.name, d: dwelling(r) });
      });
    }
    return td;
  };
  const row = (u) => {
    const toggle = h('button', { type: 'button', class: 'btn secondary small', text: u.disabled ? t('common.enable') : t('common.disable') });
    toggle.addEventListener('click', () => busy(toggle, async () => {
      const nu = await patch(`/users/${u.id}`, { disabled: !u.disabled });
      tr.replaceWith(row(nu));
    }).catch(toastError));
    const reset = h('button', { type: 'button', class: 'btn secondary small', text: t('accounts.reset') });
    reset.addEventListener('click', () => {
      const pw = prompt(t('accounts.reset_prompt', { name: u.username }));
      if (!pw) return;
      busy(reset, async () => { await patch(`/users/${u.id}`, { password: pw }); toast(t('common.saved'), 'ok'); }).catch(toastError);
    });
    const tr = h('tr', null,
      h('td', { text: u.username }),
      h('td', { text: t('role.' + u.role) }),
      residentCell(u),
      h('td', null, u.disabled ? badge('disabled', t('common.disabled')) : badge('active', t('common.active'))),
      h('td', null, h('div', { class: 'row' }, toggle, reset)));
    return tr;
  };
  let tbody;
  const load = async () => {
    fill(holder);
    tbody = h('tbody');
    fill(list, h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, [t('field.username'), t('field.role'), t('field.community_ids'), t('common.status'), t('common.actions')].map((x) => h('th', { text: x })))),
      tbody)));
    const next = pager((cursor) => get('/users', { community_id: communityID || '', role: roleSel.value, limit: 100, cursor }), (items, first) => {
      if (first && !items.length) tbody.append(h('tr', null, h('td', { colspan: 5, class: 'empty', text: t('accounts.empty') })));
      for (const u of items) tbody.append(row(u));
    }, holder);
    await next();
  };
  roleSel.addEventListener('change', () => load().catch(toastError));
  await load();
}

/** The entry log with its filters; canVerify adds the hash-chain check. */
export async function entriesPage(ctx, { communityID, canVerify, gates = null }) {
  if (!gates) gates = (await get('/gates', { community_id: communityID || '', limit: 500 }).catch(() => ({ items: [] }))).items;
  const gateNames = Object.fromEntries(gates.map((g) => [g.id, g.name]));
  const out = h('div', { id: 'entries-list' });
  const holder = h('div');
  const verifyOut = h('div');
  const form = h('form', { id: 'entries-form', class: 'card no-print' },
    h('h1', { text: t('entries.title') }),
    h('div', { class: 'fields cols cols3' },
      field({ name: 'from', type: 'datetime-local' }),
      field({ name: 'to', type: 'datetime-local' }),
      field({ name: 'name' }),
      field({ name: 'id_number' }),
      field({ name: 'plate' }),
      field({ name: 'decision', label: t('common.status'), type: 'select', options: [['', t('common.all')], ['grant', t('decision.grant')], ['deny', t('decision.deny')]] })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: t('common.search') }),
      canVerify ? h('button', { type: 'button', class: 'btn secondary', id: 'entries-verify', text: t('entries.verify'), on: {
        click: (e) => busy(e.currentTarget, async () => {
          const r = await get('/entries/verify', { community_id: communityID || '' });
          fill(verifyOut, r.ok ? h('div', { class: 'form-ok', text: t('entries.verify_ok', { n: r.checked }) })
            : h('div', { class: 'form-error', text: t('entries.verify_bad', { seq: r.first_broken.seq, id: r.first_broken.entry_id, problem: r.first_broken.problem }) }));
        }).catch((err) => fill(verifyOut, h('div', { class: 'form-error', text: errorText(err) }))),
      } }) : null),
    verifyOut);
  const search = async (v) => {
    const q = { community_id: communityID || '', from: fromLocalInput(v.from), to: fromLocalInput(v.to), name: v.name, id_number: v.id_number,
      plate: v.plate, decision: v.decision, limit: 100 };
    const tbody = h('tbody');
    fill(out, h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, [t('common.time'), t('entries.person'), t('field.id_number'), t('field.plate'), t('entries.host'), t('entries.gate'),
        t('field.direction'), t('common.status'), t('entries.note')].map((x) => h('th', { text: x })))), tbody)));
    fill(holder);
    const next = pager((cursor) => get('/entries', { ...q, cursor }), (items, first) => {
      if (first && !items.length) tbody.append(h('tr', null, h('td', { colspan: 9, class: 'empty', text: t('common.none') })));
      for (const e of items) {
        tbody.append(h('tr', null,
          h('td', { text: fmtTime(e.occurred_at) }),
          h('td', { text: e.person_name || '—' }),
          h('td', { class: 'mono', text: e.id_number || '' }),
          h('td', { text: e.plate || '' }),
          h('td', { text: e.host ? `${dwelling(e.host)} ${e.host.name}` : '' }),
          h('td', { text: gateNames[e.gate_id] || (e.gate_id ? '#' + e.gate_id : '') }),
          h('td', { text: t('dir.' + e.direction) }),
          h('td', null, badge(e.decision, t('decision.' + e.decision)), ' ', h('span', { class: 'small', text: reasonText(e.reason) }),
            ' ', h('span', { class: 'small muted', text: t('method.' + e.method) })),
          h('td', { class: 'small', text: e.note || '' })));
      }
    }, holder);
    await next();
  };
  onSubmit(form, search);
  fill(ctx.el, form, h('section', { class: 'card' }, out, holder));
  await search({});
}
