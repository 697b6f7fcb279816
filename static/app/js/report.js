// The population-information report (managers, police, admin): figures,
// charts (Chart.js, vendored) and CSV/XLSX downloads.

import { get, download } from './api.js';
import { t, reasonText, currentLang } from './i18n.js';
import { h, fill, field, onSubmit, formValues, showErrors, clearErrors, progressBar, busy, toDateInput, fmtTime, fmtDate,
  dwelling, table, loadScript, badge } from './ui.js';

/** The query of the form: the "to" date is inclusive on screen, exclusive in the API. */
function query(v) {
  const q = { community_id: v.community_id || '', from: v.from, to: v.to };
  if (v.to) {
    const d = new Date(v.to + 'T00:00:00');
    d.setDate(d.getDate() + 1);
    q.to = toDateInput(d);
  }
  if (v.min_visits) q.min_visits = v.min_visits;
  if (v.threshold_hours) q.threshold_hours = v.threshold_hours;
  return q;
}

/**
 * Draws the report page into ctx.el. allowAll adds "every community in
 * scope" to the community choice.
 */
export async function reportPage(ctx, { allowAll = false, fixedCommunity = 0 } = {}) {
  const today = new Date();
  const from = new Date(today);
  from.setDate(from.getDate() - 29);
  const opts = ctx.communities.map((c) => [String(c.id), c.name]);
  if (allowAll) opts.unshift(['', t('common.all')]);
  const communityField = fixedCommunity
    ? h('input', { type: 'hidden', name: 'community_id', value: String(fixedCommunity) })
    : field({ name: 'community_id', label: t('common.community'), type: 'select', options: opts, value: allowAll ? '' : String(ctx.communityID || '') });
  const out = h('div', { id: 'report-out' });
  const status = h('div', { id: 'report-status' });
  const csv = h('button', { type: 'button', class: 'btn secondary', id: 'report-csv', text: t('report.csv') });
  const xlsx = h('button', { type: 'button', class: 'btn secondary', id: 'report-xlsx', text: t('report.xlsx') });
  const form = h('form', { id: 'report-form', class: 'card no-print' },
    h('h1', { text: t('report.title') }),
    h('div', { class: 'fields cols cols3' },
      communityField,
      field({ name: 'from', type: 'date', value: toDateInput(from) }),
      field({ name: 'to', type: 'date', value: toDateInput(today) }),
      field({ name: 'min_visits', type: 'number', placeholder: '5', attrs: { min: '1' } }),
      field({ name: 'threshold_hours', type: 'number', placeholder: '72', attrs: { min: '1' } })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'report-run', text: t('report.run') }), csv, xlsx),
    status);
  fill(ctx.el, form, out);
  let charts = [];
  const destroy = () => { for (const c of charts) c.destroy(); charts = []; };
  ctx.onCleanup(destroy);

  const run = async (v) => {
    const bar = progressBar(t('report.running'));
    fill(status, bar.el);
    try {
      const [rep] = await Promise.all([get('/reports/population', query(v)), loadScript('/vendor/chart.umd.min.js').catch(() => null)]);
      if (!ctx.alive()) return;
      destroy();
      charts = drawReport(out, rep);
    } finally {
      bar.done();
    }
  };
  onSubmit(form, run);

  const dl = (format) => async () => {
    const v = formValues(form);
    clearErrors(form);
    const bar = progressBar(t('common.download') + ' ' + format.toUpperCase());
    fill(status, bar.el);
    const btn = format === 'csv' ? csv : xlsx;
    try {
      await busy(btn, () => download('/reports/population', { ...query(v), format }, `population-report.${format}`));
    } catch (err) {
      showErrors(form, err);
    } finally {
      bar.done();
    }
  };
  csv.addEventListener('click', dl('csv'));
  xlsx.addEventListener('click', dl('xlsx'));
  if (ctx.communities.length || allowAll) form.requestSubmit();
}

/** The calendar day of an instant in the community's zone (the browser's when unknown). */
function dayIn(iso, timeZone) {
  const opts = { dateStyle: 'medium' };
  try {
    return new Intl.DateTimeFormat(currentLang() === 'en' ? 'en-GB' : 'zh-CN', { ...opts, timeZone }).format(new Date(iso));
  } catch {
    return fmtDate(iso);
  }
}

/** The last day a report covers: the API's "to" is exclusive (midnight after it). */
function lastDay(iso, timeZone) { return dayIn(new Date(Date.parse(iso) - 1).toISOString(), timeZone); }

function stat(key, label, n) {
  return h('div', { class: 'stat' }, h('div', { class: 'n', dataset: { stat: key }, text: String(n ?? 0) }), h('div', { class: 'l', text: label }));
}

function chartBox(title, id) {
  const canvas = h('canvas', { id, role: 'img', 'aria-label': title });
  return { canvas, el: h('section', { class: 'card' }, h('h2', { text: title }), h('div', { class: 'chart-box' }, canvas)) };
}

/** Fills out with the report's figures, charts and tables; returns the charts. */
function drawReport(out, rep) {
  const names = rep.communities.map((c) => c.name).join('、');
  const byDay = chartBox(t('report.by_day'), 'chart-day');
  const byHour = chartBox(t('report.by_hour'), 'chart-hour');
  const byBuilding = chartBox(t('report.by_building'), 'chart-building');
  const byGate = chartBox(t('report.by_gate'), 'chart-gate');
  fill(out,
    h('section', { class: 'card' },
      h('h2', { text: names }),
      h('p', { class: 'muted small', id: 'report-period', text: t('report.period', { from: dayIn(rep.from, rep.time_zone), to: lastDay(rep.to, rep.time_zone), tz: rep.time_zone }) }),
      h('div', { class: 'stats', id: 'report-stats' },
        stat('residents.total', t('report.residents'), rep.residents.total),
        stat('registered_visitors.visitors', t('report.visitors'), rep.registered_visitors.visitors),
        stat('registered_visitors.passes', t('report.passes'), rep.registered_visitors.passes),
        stat('visits.total', t('report.visits'), rep.visits.total),
        stat('visits.unique_visitors', t('report.unique'), rep.visits.unique_visitors),
        stat('entries.total', t('report.entries'), rep.entries.total),
        stat('entries.granted', t('report.granted'), rep.entries.granted),
        stat('entries.denied', t('report.denied'), rep.entries.denied))),
    h('div', { class: 'grid grid-2' }, byDay.el, byHour.el, byBuilding.el, byGate.el),
    h('section', { class: 'card' }, h('h2', { text: t('report.by_reason') }),
      table([t('decision.grant') + '/' + t('decision.deny'), t('field.reason'), t('report.count')],
        rep.entries.by_reason.map((r) => h('tr', null,
          h('td', null, badge(r.decision, t('decision.' + r.decision))), h('td', { text: reasonText(r.reason) }), h('td', { class: 'num', text: String(r.count) }))),
        t('report.none'))),
    h('section', { class: 'card' }, h('h2', { text: t('report.frequent', { n: rep.frequent_visitors.min_visits }) }),
      table([t('common.name'), t('field.id_number'), t('report.visits_label'), t('report.hosts')],
        rep.frequent_visitors.items.map((f) => h('tr', null,
          h('td', { text: f.name }), h('td', { class: 'mono', text: f.id_number }), h('td', { class: 'num', text: String(f.visits) }),
          h('td', { text: (f.hosts || []).map((d) => `${dwelling(d)} ${d.name || ''}`.trim()).join('；') }))),
        t('report.none'))),
    h('section', { class: 'card' }, h('h2', { text: t('report.long', { n: rep.long_stays.threshold_hours }) }),
      table([t('common.name'), t('field.id_number'), t('guard.onsite.since'), t('report.hours'), t('report.on_site'), t('entries.host')],
        rep.long_stays.items.map((s) => h('tr', null,
          h('td', { text: s.name }), h('td', { class: 'mono', text: s.id_number }), h('td', { text: fmtTime(s.since) }),
          h('td', { class: 'num', text: String(s.hours) }), h('td', { text: s.on_site ? t('common.yes') : t('common.no') }),
          h('td', { text: s.host ? `${dwelling(s.host)} ${s.host.name || ''}` : '' }))),
        t('report.none'))));
  const Chart = window.Chart;
  if (!Chart) return [];
  const base = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: true } },
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } };
  const blue = '#1d5fbf';
  const green = '#1f9d55';
  const red = '#c0392b';
  const charts = [];
  charts.push(new Chart(byDay.canvas, { type: 'line', options: base, data: {
    labels: rep.visits.by_day.map((d) => fmtDate(d.date + 'T12:00:00')),
    datasets: [
      { label: t('report.visits_label'), data: rep.visits.by_day.map((d) => d.visits), borderColor: blue, backgroundColor: blue, tension: .2 },
      { label: t('report.unique_label'), data: rep.visits.by_day.map((d) => d.unique_visitors), borderColor: green, backgroundColor: green, tension: .2 },
    ] } }));
  charts.push(new Chart(byHour.canvas, { type: 'bar', options: base, data: {
    labels: rep.visits.by_hour.map((x) => String(x.hour).padStart(2, '0') + ':00'),
    datasets: [{ label: t('report.visits_label'), data: rep.visits.by_hour.map((x) => x.visits), backgroundColor: blue }] } }));
  charts.push(new Chart(byBuilding.canvas, { type: 'bar', options: { ...base, plugins: { legend: { display: false } } }, data: {
    labels: rep.residents.by_building.map((b) => b.building),
    datasets: [{ label: t('report.residents'), data: rep.residents.by_building.map((b) => b.residents), backgroundColor: blue }] } }));
  charts.push(new Chart(byGate.canvas, { type: 'bar', options: { ...base, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }, data: {
    labels: rep.entries.by_gate.map((g) => g.gate_name || '#' + g.gate_id),
    datasets: [
      { label: t('report.granted'), data: rep.entries.by_gate.map((g) => g.granted), backgroundColor: green },
      { label: t('report.denied'), data: rep.entries.by_gate.map((g) => g.denied), backgroundColor: red },
    ] } }));
  return charts;
}
