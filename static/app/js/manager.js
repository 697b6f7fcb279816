// The property manager's pages: residents (with CSV import), gates (device
// keys shown once), accounts, the watchlist, settings, the report, entries.

import { get, post, patch, del, upload, download } from './api.js';
import { t, fieldLabel, currentLang } from './i18n.js';
import { printLetter } from './signin.js';
import { h, fill, field, idTypeField, onSubmit, showOK, showErrors, clearErrors, toast, toastError, busy, dwelling, badge,
  pager, copyText, progressBar, fmtTime, keepDraft } from './ui.js';
import { reportPage } from './report.js';
import { cameraCell, cameraActions, vehiclesButton, plateWatchCard } from './cameras.js';
import { accountsPage, communityForm, entriesPage } from './shared.js';
import { postersPage } from './visit.js';
import { rectificationsPage } from './district.js';

export const tabs = [
  ['residents', 'manager.tab.residents'],
  ['gates', 'manager.tab.gates'],
  ['accounts', 'manager.tab.accounts'],
  ['watchlist', 'manager.tab.watchlist'],
  ['posters', 'visit.posters'],
  ['settings', 'manager.tab.settings'],
  ['report', 'manager.tab.report'],
  ['entries', 'manager.tab.entries'],
  ['rectifications', 'sup.tab.rectifications'],
];

export async function render(ctx) {
  if (!ctx.communityID) {
    fill(ctx.el, h('div', { class: 'card' }, h('p', { class: 'form-error', text: t('common.not_found') })));
    return;
  }
  switch (ctx.tab) {
    case 'gates': return gatesPage(ctx);
    case 'posters': return postersPage(ctx);
    case 'accounts': {
      const [kind, id] = (ctx.arg || '').split('/');
      return accountsPage(ctx, { roles: ['guard', 'resident'], communityID: ctx.communityID, presetResident: kind === 'resident' ? Number(id) : 0 });
    }
    case 'watchlist': return watchlistPage(ctx);
    case 'settings': return settingsPage(ctx);
    case 'report': return reportPage(ctx);
    case 'rectifications': return rectificationsPage(ctx);
    case 'entries': {
      const gates = (await get('/gates', { community_id: ctx.communityID, limit: 500 })).items;
      return entriesPage(ctx, { communityID: ctx.communityID, canVerify: false, gates });
    }
    default: return residentsPage(ctx);
  }
}

// ---- residents ----

function residentForm(ctx, r, onDone) {
  const form = h('form', { id: r ? `resident-edit-${r.id}` : 'resident-form', class: 'card' },
    h('h2', { text: r ? `${t('residents.edit')} — ${r.name}` : t('residents.new') }),
    h('div', { class: 'fields cols' },
      field({ name: 'name', required: true, value: r ? r.name : '' }),
      idTypeField('id_type', r ? r.id_type : 'resident_id'),
      field({ name: 'id_number', required: !r, placeholder: r ? r.id_number : '', hint: r ? t('common.optional') : '', attrs: { autocapitalize: 'characters', spellcheck: 'false' } }),
      field({ name: 'phone', type: 'tel', required: true, value: r ? r.phone : '' }),
      field({ name: 'building', required: true, value: r ? r.building : '' }),
      field({ name: 'unit', required: true, value: r ? r.unit : '' }),
      field({ name: 'room', required: true, value: r ? r.room : '' })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn', text: r ? t('common.save') : t('common.create') }),
      r ? h('button', { type: 'button', class: 'btn secondary', text: t('common.cancel'), on: { click: () => onDone(null) } }) : null));
  const clearDraft = r ? () => {} : keepDraft(form);
  onSubmit(form, async (v) => {
    const body = { name: v.name, id_type: v.id_type, phone: v.phone, building: v.building, unit: v.unit, room: v.room };
    if (v.id_number) body.id_number = v.id_number;
    let saved;
    if (r) {
      saved = await patch(`/residents/${r.id}`, body);
    } else {
      saved = await post('/residents', { community_id: ctx.communityID, ...body, id_number: v.id_number });
      clearDraft();
      form.reset();
      showOK(form, `${saved.name} · ${dwelling(saved)}`);
    }
    onDone(saved);
  });
  return form;
}

async function residentsPage(ctx) {
  const q = h('input', { type: 'search', name: 'q', placeholder: t('field.q'), 'aria-label': t('field.q') });
  const movedOut = h('input', { type: 'checkbox', name: 'include_moved_out' });
  const tbody = h('tbody');
  const holder = h('div');
  const editSlot = h('div');
  const listCard = h('section', { class: 'card' },
    h('h1', { text: t('residents.title') }),
    h('form', { class: 'row', id: 'resident-search', on: { submit: (e) => { e.preventDefault(); load().catch(toastError); } } },
      h('div', { style: 'flex:1 1 14rem' }, q),
      h('label', { class: 'small' }, movedOut, ' ', t('residents.include_moved_out')),
      h('button', { type: 'submit', class: 'btn secondary', text: t('common.search') })),
    h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, [t('field.name'), t('field.room'), t('field.phone'), t('field.id_number'), t('common.status'), t('common.actions')].map((x) => h('th', { text: x })))),
      tbody)),
    holder);
  fill(ctx.el, editSlot, h('div', { class: 'grid grid-main' }, listCard,
    h('div', null, residentForm(ctx, null, () => load().catch(toastError)), importCard(ctx, () => load().catch(toastError)))));

  const row = (r) => {
    const actions = h('div', { class: 'row' });
    if (!r.moved_out_at) {
      actions.append(
        h('button', { type: 'button', class: 'btn secondary small', text: t('common.edit'), on: {
          click: () => {
            fill(editSlot, residentForm(ctx, r, (saved) => { fill(editSlot); if (saved) tr.replaceWith(row(saved)); }));
            editSlot.scrollIntoView({ block: 'start' });
          },
        } }),
        h('a', { class: 'btn secondary small', href: `#/manager/accounts/resident/${r.id}`, text: t('residents.account') }),
        h('button', { type: 'button', class: 'btn secondary small letter-print', text: t('signin.letter.button'),
          on: { click: (e) => busy(e.currentTarget, () => printLetter(r.id)).catch(toastError) } }),
        vehiclesButton(r, editSlot));
      const out = h('button', { type: 'button', class: 'btn danger secondary small', text: t('residents.moveout') });
      out.addEventListener('click', () => {
        if (!confirm(t('residents.moveout_confirm', { name: r.name }))) return;
        busy(out, async () => { await del(`/residents/${r.id}`); tr.replaceWith(row({ ...r, moved_out_at: new Date().toISOString() })); }).catch(toastError);
      });
      actions.append(out);
    }
    const tr = h('tr', { dataset: { residentId: String(r.id) } },
      h('td', { text: r.name }),
      h('td', { text: dwelling(r) }),
      h('td', { text: r.phone }),
      h('td', { class: 'mono', text: r.id_number }),
      h('td', null, r.moved_out_at ? badge('revoked', t('residents.moved_out')) : badge('active', t('common.active'))),
      h('td', null, actions));
    return tr;
  };
  const load = async () => {
    tbody.replaceChildren();
    fill(holder);
    const next = pager((cursor) => get('/residents', { community_id: ctx.communityID, q: q.value.trim(), include_moved_out: movedOut.checked ? 'true' : '', limit: 100, cursor }),
      (items, first) => {
        if (first && !items.length) tbody.append(h('tr', null, h('td', { colspan: 6, class: 'empty', text: t('residents.empty') })));
        for (const r of items) tbody.append(row(r));
      }, holder);
    await next();
  };
  await load();
}

/** Sorts "line 3: id_number" keys by their line number. */
function lineOrder([a], [b]) {
  const n = (k) => Number((/^line (\d+)/.exec(k) || [])[1] || 0);
  return n(a) - n(b) || a.localeCompare(b);
}

function importCard(ctx, onDone) {
  const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  const file = h('input', { type: 'file', name: 'file', accept: `.csv,text/csv,.xlsx,${XLSX}`, dataset: { field: 'file' }, id: 'import-file' });
  const template = (format) => h('button', { type: 'button', class: 'btn secondary small', id: 'import-template-' + format,
    text: t('residents.import.template_' + format), on: {
      click: (e) => busy(e.currentTarget, () => download('/residents/import/template', { format }, `residents-template.${format}`)).catch(toastError),
    } });
  const text = h('textarea', { name: 'csv', id: 'import-text', rows: 5, placeholder: t('residents.import.placeholder'), spellcheck: 'false' });
  const status = h('div', { id: 'import-status' });
  const form = h('form', { id: 'import-form', class: 'card' },
    h('h2', { text: t('residents.import.title') }),
    h('p', { class: 'small muted', text: t('residents.import.hint') }),
    h('div', { class: 'row' }, template('csv'), template('xlsx')),
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'import-file', text: t('field.file') }), file, h('div', { class: 'err', hidden: true })),
      h('div', { class: 'field' }, h('label', { for: 'import-text', text: t('residents.import.paste') }), text)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'import-submit', text: t('residents.import.submit') })),
    status);
  form.noValidate = true;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    fill(status);
    const picked = file.files[0];
    const body = picked || (text.value.trim() ? new Blob([text.value], { type: 'text/csv' }) : null);
    // An Excel workbook goes as one; anything else as CSV (the server detects its encoding).
    const isXLSX = picked && (/\.xlsx$/i.test(picked.name) || picked.type === XLSX);
    if (!body) { fill(status, h('div', { class: 'form-error', text: t('residents.import.empty') })); return; }
    const bar = progressBar(t('residents.import.uploading'));
    fill(status, bar.el);
    const btn = form.querySelector('button[type="submit"]');
    try {
      const res = await busy(btn, () => upload('POST', `/residents/import?community_id=${ctx.communityID}`, body, isXLSX ? XLSX : 'text/csv', (f) => {
        if (f >= 1) bar.indeterminate(t('residents.import.checking'));
        else bar.set(f);
      }));
      bar.done();
      fill(status, h('div', { class: 'form-ok', role: 'status', id: 'import-ok', text: t('residents.import.done', { n: res.imported }) }));
      file.value = '';
      text.value = '';
      onDone();
    } catch (err) {
      bar.done();
      const lines = Object.entries(err.fields || {}).sort(lineOrder);
      if (!lines.length) { showErrors(form, err); return; }
      // Every line's problem, in the file's order: the file stays as it was, to be fixed and sent again.
      fill(status, h('div', { class: 'form-error', role: 'alert', id: 'import-errors' },
        t('residents.import.failed'),
        h('ul', { class: 'line-errors' }, lines.map(([k, v]) => {
          const m = /^(line \d+)(?::\s*(.*))?$/.exec(k);
          const label = m ? `${lineLabel(m[1])}${m[2] ? ' · ' + fieldLabel(m[2]) : ''}` : fieldLabel(k);
          return h('li', { dataset: { field: k } }, h('strong', { text: label }), ': ', v);
        }))));
    }
  });
  return form;
}

/** "line 3" in the reader's language. */
function lineLabel(s) {
  return currentLang() === 'en' ? s : s.replace(/^line (\d+)$/, '第 $1 行');
}

// ---- gates ----

function secretBox(gate) {
  return h('div', { class: 'secret', id: 'device-key', role: 'alert' },
    h('strong', { text: `${gate.name}: ` }), t('gates.key_once'),
    h('code', { class: 'mono', id: 'device-key-value', text: gate.device_key }),
    h('button', { type: 'button', class: 'btn small', id: 'device-key-copy', text: t('common.copy'), on: { click: () => copyText(gate.device_key) } }));
}

/** A gate's agent and controller as their last heartbeat said. */
function agentCell(st) {
  if (!st || !st.last_seen) return h('span', { class: 'small muted', text: t('gate.never_seen') });
  const c = st.controller;
  const lines = [t('gate.last_seen', { time: fmtTime(st.last_seen) })];
  if (c) {
    lines.push(t('gate.controller', { kind: c.kind, id: c.device_id, state: c.online ? t('gate.online') : t('gate.offline') }));
    lines.push(t(c.door_open ? 'gate.door_open' : 'gate.door_closed') + ' · ' + t('gate.drift', { s: c.clock_drift_seconds }) +
      ' · ' + t('gate.event_index', { n: c.last_event_index }));
  }
  if (st.pending) lines.push(t('gate.pending', { n: st.pending }));
  if (st.version) lines.push(st.version);
  return h('div', null, st.online ? badge('active', t('gate.online')) : badge('disabled', t('gate.offline')),
    lines.map((l) => h('div', { class: 'small muted', text: l })));
}

async function gatesPage(ctx) {
  const keySlot = h('div');
  const tbody = h('tbody');
  const form = h('form', { id: 'gate-form', class: 'card' },
    h('h2', { text: t('gates.new') }),
    h('div', { class: 'fields' }, field({ name: 'name', label: t('gates.name'), required: true, placeholder: '南门' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: t('common.create') })));
  onSubmit(form, async (v) => {
    const g = await post('/gates', { community_id: ctx.communityID, name: v.name });
    form.reset();
    fill(keySlot, secretBox(g));
    await load();
  });
  fill(ctx.el, keySlot, h('div', { class: 'grid grid-main' },
    h('section', { class: 'card' }, h('h1', { text: t('gates.title') }), h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, [t('gates.name'), t('gates.key_prefix'), t('common.status'), t('gates.agent'), t('common.actions')].map((x) => h('th', { text: x })))), tbody))),
    form));
  const row = (g) => {
    const rotate = h('button', { type: 'button', class: 'btn secondary small', text: t('gates.rotate') });
    rotate.addEventListener('click', () => {
      if (!confirm(t('gates.rotate_confirm', { name: g.name }))) return;
      busy(rotate, async () => {
        const ng = await post(`/gates/${g.id}/rotate-key`);
        fill(keySlot, secretBox(ng));
        keySlot.scrollIntoView({ block: 'start' });
        tr.replaceWith(row(ng));
      }).catch(toastError);
    });
    const toggle = h('button', { type: 'button', class: 'btn small ' + (g.disabled ? 'secondary' : 'danger secondary'), text: g.disabled ? t('common.enable') : t('common.disable') });
    toggle.addEventListener('click', () => {
      if (!g.disabled && !confirm(t('gates.disable_confirm', { name: g.name }))) return;
      busy(toggle, async () => { tr.replaceWith(row(await patch(`/gates/${g.id}`, { disabled: !g.disabled }))); }).catch(toastError);
    });
    const tr = h('tr', { dataset: { gateId: String(g.id) } },
      h('td', { text: g.name }), h('td', { class: 'mono', text: g.key_prefix + '…' }),
      h('td', null, g.disabled ? badge('disabled', t('common.disabled')) : badge('active', t('common.active'))),
      h('td', { class: 'gate-agent' }, agentCell(g.status), cameraCell(g)),
      h('td', null, h('div', { class: 'row' }, rotate, toggle, ...cameraActions(g, keySlot, (ng) => tr.replaceWith(row(ng))))));
    return tr;
  };
  const load = async () => {
    const list = await get('/gates', { community_id: ctx.communityID, limit: 500 });
    fill(tbody, list.items.length ? list.items.map(row) : h('tr', null, h('td', { colspan: 5, class: 'empty', text: t('gates.empty') })));
  };
  await load();
}

// ---- watchlist ----

async function watchlistPage(ctx) {
  const tbody = h('tbody');
  const form = h('form', { id: 'watchlist-form', class: 'card' },
    h('h2', { text: t('watchlist.add') }),
    h('div', { class: 'fields' },
      idTypeField('id_type'),
      field({ name: 'id_number', required: true }),
      field({ name: 'name' }),
      field({ name: 'reason', type: 'textarea', required: true, rows: 2 })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: t('watchlist.add') })));
  onSubmit(form, async (v) => {
    await post('/watchlist', { community_id: ctx.communityID, id_type: v.id_type, id_number: v.id_number, name: v.name, reason: v.reason });
    form.reset();
    await load();
  });
  fill(ctx.el, h('div', { class: 'grid grid-main' },
    h('section', { class: 'card' }, h('h1', { text: t('watchlist.title') }), h('p', { class: 'small muted', text: t('watchlist.hint') }),
      h('div', { class: 'table-wrap' }, h('table', null,
        h('thead', null, h('tr', null, [t('field.name'), t('field.id_number'), t('field.reason'), t('common.time'), t('common.actions')].map((x) => h('th', { text: x })))), tbody))),
    h('div', null, form, plateWatchCard(ctx.communityID))));
  const load = async () => {
    const list = await get('/watchlist', { community_id: ctx.communityID, limit: 500 });
    fill(tbody, list.items.length ? list.items.map((w) => {
      const rm = h('button', { type: 'button', class: 'btn danger secondary small', text: t('common.delete') });
      rm.addEventListener('click', () => {
        if (!confirm(t('watchlist.remove_confirm', { name: w.name || w.id_number }))) return;
        busy(rm, async () => { await del(`/watchlist/${w.id}`); await load(); toast(t('common.saved'), 'ok'); }).catch(toastError);
      });
      return h('tr', null, h('td', { text: w.name }), h('td', { class: 'mono', text: w.id_number }), h('td', { text: w.reason }),
        h('td', { text: fmtTime(w.created_at) }), h('td', null, rm));
    }) : h('tr', null, h('td', { colspan: 5, class: 'empty', text: t('watchlist.empty') })));
  };
  await load();
}

// ---- settings ----

async function settingsPage(ctx) {
  const c = await get(`/communities/${ctx.communityID}`);
  if (!ctx.alive()) return;
  fill(ctx.el, communityForm(c, () => ctx.refreshCommunities().catch(() => {})));
}
