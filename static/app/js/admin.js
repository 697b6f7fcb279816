// The district admin's pages: communities, every account, the access audit,
// the population report and the entry log (with the chain checks).

import { get } from './api.js';
import { t } from './i18n.js';
import { h, fill, field, onSubmit, busy, fmtTime, fromLocalInput, pager, errorText } from './ui.js';
import { reportPage } from './report.js';
import { accountsPage, communityForm, entriesPage } from './shared.js';

export const tabs = [
  ['communities', 'admin.tab.communities'],
  ['accounts', 'admin.tab.accounts'],
  ['audit', 'admin.tab.audit'],
  ['report', 'admin.tab.report'],
  ['entries', 'admin.tab.entries'],
];

export function render(ctx) {
  switch (ctx.tab) {
    case 'accounts': return accountsPage(ctx, { roles: ['manager', 'guard', 'resident', 'police', 'street', 'district', 'admin'], communityID: 0 });
    case 'audit': return auditPage(ctx);
    case 'report': return reportPage(ctx, { allowAll: true });
    case 'entries': return entriesPage(ctx, { communityID: 0, canVerify: true });
    default: return communitiesPage(ctx);
  }
}

async function communitiesPage(ctx) {
  const editSlot = h('div');
  const tbody = h('tbody');
  const reload = async () => {
    await ctx.refreshCommunities();
    const list = await get('/communities', { limit: 500 });
    fill(tbody, list.items.length ? list.items.map((c) => h('tr', { dataset: { communityId: String(c.id) } },
      h('td', { class: 'num', text: String(c.id) }),
      h('td', { text: c.name }),
      h('td', { text: c.address }),
      h('td', { text: c.anti_passback === 'on' ? t('common.yes') : t('common.no') }),
      h('td', { class: 'num', text: String(c.max_pass_days) }),
      h('td', null, h('button', { type: 'button', class: 'btn secondary small', text: t('common.edit'), on: {
        click: () => { fill(editSlot, communityForm(c, () => { fill(editSlot); reload(); })); editSlot.scrollIntoView({ block: 'start' }); },
      } })))) : h('tr', null, h('td', { colspan: 6, class: 'empty', text: t('communities.empty') })));
  };
  fill(ctx.el, editSlot, h('div', { class: 'grid grid-main' },
    h('section', { class: 'card' }, h('h1', { text: t('communities.title') }), h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, ['ID', t('communities.name'), t('field.address'), t('field.anti_passback'), t('field.max_pass_days'), t('common.actions')].map((x) => h('th', { text: x })))),
      tbody))),
    communityForm(null, (c) => { document.getElementById('community-new-form').reset(); reload(); void c; })));
  await reload();
}

async function auditPage(ctx) {
  const tbody = h('tbody');
  const holder = h('div');
  const verifyOut = h('div');
  const actions = ['police.query', 'police.export', 'police.read', 'report.download', 'id.read', 'id.search', 'id.guess'];
  const form = h('form', { id: 'audit-form', class: 'card' },
    h('h1', { text: t('audit.title') }),
    h('div', { class: 'fields cols cols3' },
      field({ name: 'action', type: 'select', options: [['', t('common.all')], ...actions.map((a) => [a, t('audit.action.' + a)])] }),
      field({ name: 'case_ref' }),
      field({ name: 'actor_id', type: 'number', attrs: { min: '1' } }),
      field({ name: 'community_id', label: t('common.community'), type: 'select', options: [['', t('common.all')], ...ctx.communities.map((c) => [String(c.id), c.name])] }),
      field({ name: 'from', type: 'datetime-local' }),
      field({ name: 'to', type: 'datetime-local' })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn', text: t('common.search') }),
      h('button', { type: 'button', class: 'btn secondary', id: 'audit-verify', text: t('audit.verify'), on: {
        click: (e) => busy(e.currentTarget, async () => {
          const r = await get('/audit/verify');
          fill(verifyOut, r.ok ? h('div', { class: 'form-ok', text: t('entries.verify_ok', { n: r.checked }) })
            : h('div', { class: 'form-error', text: t('entries.verify_bad', { seq: r.first_broken.seq, id: r.first_broken.entry_id, problem: r.first_broken.problem }) }));
        }).catch((err) => fill(verifyOut, h('div', { class: 'form-error', text: errorText(err) }))),
      } })),
    verifyOut);
  const search = async (v) => {
    const q = { action: v.action, case_ref: v.case_ref, actor_id: v.actor_id, community_id: v.community_id,
      from: fromLocalInput(v.from), to: fromLocalInput(v.to), limit: 100 };
    tbody.replaceChildren();
    fill(holder);
    const next = pager((cursor) => get('/audit', { ...q, cursor }), (items, first) => {
      if (first && !items.length) tbody.append(h('tr', null, h('td', { colspan: 6, class: 'empty', text: t('audit.empty') })));
      for (const a of items) {
        tbody.append(h('tr', null,
          h('td', { text: fmtTime(a.at) }),
          h('td', { text: `${a.actor_name} (${t('role.' + a.actor_role)})` }),
          h('td', { text: t('audit.action.' + a.action) }),
          // Target and detail as the server says them in the UI's language (a.target and a.detail are as recorded).
          h('td', { text: [a.case_ref, a.target_text || a.target].filter(Boolean).join(' · ') }),
          h('td', { class: 'small', text: a.detail_text || a.detail || '' }),
          h('td', { class: 'mono small', text: (a.hash || '').slice(0, 12) })));
      }
    }, holder);
    await next();
  };
  onSubmit(form, search);
  fill(ctx.el, form, h('section', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', null,
    h('thead', null, h('tr', null, [t('common.time'), t('audit.actor'), t('field.action'), t('audit.target'), t('audit.detail'), t('audit.hash')].map((x) => h('th', { text: x })))),
    tbody)), holder));
  await search({});
}
