// The police station's pages: a query of the entry log for a case (case
// reference and purpose required), its results, the CSV export, earlier
// queries and the population report; the district's inspections and
// incidents of its communities (district.js).

import { get, post, download } from './api.js';
import { t, reasonText } from './i18n.js';
import { h, fill, field, checksField, onSubmit, toastError, busy, fmtTime, toLocalInput, fromLocalInput, dwelling, badge, pager,
  table } from './ui.js';
import { reportPage } from './report.js';
import { inspectionPage, incidentPage } from './district.js';

export const tabs = [
  ['query', 'police.tab.query'],
  ['history', 'police.tab.history'],
  ['report', 'police.tab.report'],
  ['inspect', 'sup.tab.inspect'],
  ['incident', 'sup.tab.incident'],
];

export function render(ctx) {
  switch (ctx.tab) {
    case 'history': return historyPage(ctx);
    case 'report': return reportPage(ctx, { allowAll: true });
    case 'inspect': return inspectionPage(ctx);
    case 'incident': return incidentPage(ctx);
    default: return queryPage(ctx);
  }
}

/** Downloads a query's CSV and says its SHA-256 (the X-Content-SHA256 header). */
async function exportCSV(q, out) {
  const headers = await download(q.export_url.replace(/^\/api\/v1/, ''), null, `police-query-${q.id}.csv`);
  const sum = headers.get('X-Content-SHA256') || '';
  if (out) fill(out, h('div', { class: 'form-ok', role: 'status' }, t('police.exported', { sum: '' }), h('span', { class: 'mono', text: sum })));
}

function queryPage(ctx) {
  // From 30 days ago to the end of today, in whole days.
  const endOfDay = new Date();
  endOfDay.setHours(23, 59, 0, 0);
  const monthAgo = new Date(endOfDay);
  monthAgo.setDate(monthAgo.getDate() - 30);
  monthAgo.setHours(0, 0, 0, 0);
  const names = Object.fromEntries(ctx.communities.map((c) => [c.id, c.name]));
  const results = h('div', { id: 'police-results' });
  const form = h('form', { id: 'police-form', class: 'card' },
    h('h1', { text: t('police.title') }),
    h('p', { class: 'small muted', text: t('police.hint') }),
    h('div', { class: 'fields cols' },
      field({ name: 'case_ref', required: true }),
      field({ name: 'purpose', label: t('police.purpose'), type: 'textarea', required: true, rows: 2 }),
      checksField('community_ids', ctx.communities.map((c) => [c.id, c.name]), ctx.communities.length === 1 ? [ctx.communities[0].id] : []),
      h('div'),
      field({ name: 'from', type: 'datetime-local', required: true, value: toLocalInput(monthAgo) }),
      field({ name: 'to', type: 'datetime-local', required: true, value: toLocalInput(endOfDay) }),
      field({ name: 'id_number', attrs: { autocapitalize: 'characters', spellcheck: 'false' } }),
      field({ name: 'name' }),
      field({ name: 'plate', attrs: { autocapitalize: 'characters' } })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'police-submit', text: t('police.submit') })));
  onSubmit(form, async (v) => {
    const q = await post('/police/queries', {
      case_ref: v.case_ref, purpose: v.purpose, community_ids: v.community_ids || [], from: fromLocalInput(v.from), to: fromLocalInput(v.to),
      id_number: v.id_number, name: v.name, plate: v.plate,
    });
    const note = h('div');
    const exp = h('button', { type: 'button', class: 'btn', id: 'police-export', text: t('police.export') });
    exp.addEventListener('click', () => busy(exp, () => exportCSV(q, note)).catch(toastError));
    fill(results, h('section', { class: 'card' },
      h('div', { class: 'row' }, h('h2', { style: 'margin:0', text: t('police.results', { n: q.result_count }) }), h('span', { class: 'spacer' }), exp),
      h('p', { class: 'small muted', text: `${q.case_ref} · ${fmtTime(q.from)} – ${fmtTime(q.to)}` }),
      q.truncated ? h('p', { class: 'form-error', text: t('police.truncated') }) : null,
      note,
      table([t('common.time'), t('entries.person'), t('field.id_number'), t('field.plate'), t('entries.host'), t('common.community'), t('field.direction'), t('common.status')],
        (q.items || []).map((e) => h('tr', null,
          h('td', { text: fmtTime(e.occurred_at) }),
          h('td', { text: e.person_name || '—' }),
          h('td', { class: 'mono', text: e.id_number || '' }),
          h('td', { text: e.plate || '' }),
          h('td', { text: e.host ? `${dwelling(e.host)} ${e.host.name}` : '' }),
          h('td', { text: names[e.community_id] || '#' + e.community_id }),
          h('td', { text: t('dir.' + e.direction) }),
          h('td', null, badge(e.decision, t('decision.' + e.decision)), ' ', h('span', { class: 'small', text: reasonText(e.reason) })))),
        t('police.empty'))));
    results.scrollIntoView({ block: 'start' });
  });
  fill(ctx.el, form, results);
}

async function historyPage(ctx) {
  const tbody = h('tbody');
  const holder = h('div');
  const note = h('div');
  fill(ctx.el, h('section', { class: 'card' }, h('h1', { text: t('police.tab.history') }), note,
    h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, [t('common.time'), t('field.case_ref'), t('police.purpose'), t('field.from'), t('field.to'), t('report.count'), t('common.actions')].map((x) => h('th', { text: x })))),
      tbody)), holder));
  const next = pager((cursor) => get('/police/queries', { limit: 50, cursor }), (items, first) => {
    if (first && !items.length) tbody.append(h('tr', null, h('td', { colspan: 7, class: 'empty', text: t('police.history.empty') })));
    for (const q of items) {
      const exp = h('button', { type: 'button', class: 'btn secondary small', text: t('police.export') });
      exp.addEventListener('click', () => busy(exp, () => exportCSV(q, note)).catch(toastError));
      tbody.append(h('tr', null, h('td', { text: fmtTime(q.created_at) }), h('td', { text: q.case_ref }), h('td', { text: q.purpose }),
        h('td', { text: fmtTime(q.from) }), h('td', { text: fmtTime(q.to) }), h('td', { class: 'num', text: String(q.result_count) }), h('td', null, exp)));
    }
  }, holder);
  await next();
}
