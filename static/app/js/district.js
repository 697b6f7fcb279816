// The district's supervision pages: the district office (every community:
// the overview, scorecards, rectification orders, the scheme, publishing a
// month), a street office (the same pages over its communities, and
// inspections), the police's inspection and incident entry, a manager's
// rectification orders, and the public results page (no log-in). They show
// counts, rates, points and grades: never a person.

import { get, getAll, post, patch, api, getBlob } from './api.js';
import { t, currentLang } from './i18n.js';
import { h, fill, field, onSubmit, showOK, showErrors, clearErrors, toastError, badge, table, fmtTime, fmtDate, toDateInput } from './ui.js';

const GRADES = ['excellent', 'good', 'general', 'pass', 'poor'];

/** The district office's pages. */
export const district = {
  tabs: [
    ['dashboard', 'sup.tab.dashboard'],
    ['scorecard', 'sup.tab.scorecard'],
    ['rectifications', 'sup.tab.rectifications'],
    ['scheme', 'sup.tab.scheme'],
    ['companies', 'sup.tab.companies'],
    ['publish', 'sup.tab.publish'],
  ],
  render(ctx) {
    switch (ctx.tab) {
      case 'scorecard': return scorecardPage(ctx);
      case 'rectifications': return rectificationsPage(ctx);
      case 'scheme': return schemePage(ctx);
      case 'companies': return companiesPage(ctx);
      case 'publish': return publishPage(ctx);
      default: return dashboardPage(ctx);
    }
  },
};

/** A street office's pages: the district's, scoped to its communities, and inspections. */
export const street = {
  tabs: [
    ['dashboard', 'sup.tab.dashboard'],
    ['scorecard', 'sup.tab.scorecard'],
    ['inspect', 'sup.tab.inspect'],
    ['rectifications', 'sup.tab.rectifications'],
  ],
  render(ctx) {
    switch (ctx.tab) {
      case 'scorecard': return scorecardPage(ctx);
      case 'inspect': return inspectionPage(ctx);
      case 'rectifications': return rectificationsPage(ctx);
      default: return dashboardPage(ctx);
    }
  },
};

// ---- months, grades and numbers ----

/** "2026-10" of a Date, in the browser's time. */
function monthOf(d) { return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`; }

/** The month n months after month ("2026-10", -1 → "2026-09"). */
export function addMonths(month, n) {
  const [y, m] = month.split('-').map(Number);
  return monthOf(new Date(y, m - 1 + n, 1));
}

/** The last month that has ended: the one a district publishes. */
export function lastMonth() { return addMonths(monthOf(new Date()), -1); }

const isMonth = (s) => /^\d{4}-(0[1-9]|1[0-2])$/.test(s || '');

/** A month for people: 2026年10月, or Oct 2026. */
function monthText(month) {
  const [y, m] = month.split('-').map(Number);
  if (currentLang() === 'en') return new Date(y, m - 1, 1).toLocaleString('en-GB', { month: 'short', year: 'numeric' });
  return `${y}年${m}月`;
}

/** A month's short label on a chart: 10月, or Oct. */
function monthShort(month) {
  const [y, m] = month.split('-').map(Number);
  return currentLang() === 'en' ? new Date(y, m - 1, 1).toLocaleString('en-GB', { month: 'short' }) : `${m}月`;
}

const num1 = (x) => (Math.round(x * 10) / 10).toFixed(1);

/** A grade as a coloured badge ("" is a month not graded). */
export function gradeBadge(g) {
  return h('span', { class: 'grade grade-' + (g || 'none'), text: t('sup.grade.' + (g || 'none')) });
}

/** A card as a small coloured tag, or a dash. */
export function cardTag(c) {
  if (!c) return h('span', { class: 'muted', text: t('sup.card.none') });
  return h('span', { class: 'gcard gcard-' + c, text: t('sup.card.' + c) });
}

/** A rectification order's reason: the server's own words for an order opened on publication, in the UI's language. */
function reasonText(r) {
  const m = /^graded poor for (\d{4}-\d{2}) \(score ([\d.]+)\)$/.exec(r || '');
  return m ? t('sup.rect.auto_reason', { month: monthText(m[1]), score: m[2] }) : r;
}

/** A month picker (the last 24 months up to max) that moves to the page of another month. */
function monthPicker(month, onPick, max) {
  const last = max || monthOf(new Date());
  const months = Array.from({ length: 24 }, (_, i) => addMonths(last, -i));
  if (!months.includes(month)) months.push(month);
  const sel = h('select', { id: 'sup-month', 'aria-label': t('sup.month') }, months.map((m) => h('option', { value: m, text: monthText(m) })));
  sel.value = month;
  sel.addEventListener('change', () => { if (isMonth(sel.value)) onPick(sel.value); });
  return h('label', { class: 'month-pick' }, h('span', { class: 'small muted', text: t('sup.month') }), sel);
}

/** The words of a month's state: published (which version, when) or computed now. */
function stateLine(m) {
  const parts = [m.published ? t('sup.state.published', { v: m.published.version, at: fmtTime(m.published.published_at) }) : t('sup.state.live'),
    t('sup.scheme_version', { v: m.scheme_version })];
  return h('p', { class: 'small muted', id: 'sup-state', text: parts.join(' · ') });
}

// ---- the overview ----

/** The grades of a list of rows counted, best first, as tiles and a bar. */
function distribution(rows) {
  const n = Object.fromEntries(GRADES.map((g) => [g, 0]));
  for (const r of rows) if (r.grade in n) n[r.grade] += 1;
  const total = rows.filter((r) => r.grade).length || 1;
  return h('section', { class: 'card', id: 'sup-distribution' },
    h('h2', { text: t('sup.dist.title') }),
    h('div', { class: 'grade-bar', role: 'img', 'aria-label': GRADES.map((g) => `${t('sup.grade.' + g)} ${n[g]}`).join('，') },
      GRADES.filter((g) => n[g]).map((g) => h('div', { class: 'grade-' + g, style: `flex:${n[g] / total}` }))),
    h('div', { class: 'grade-tiles' }, GRADES.map((g) => h('div', { class: 'stat', dataset: { grade: g } },
      h('div', { class: 'n', text: String(n[g]) }), h('div', { class: 'l' }, gradeBadge(g))))));
}

/** The trend of a community since the month before, as an arrow and words. */
function trendCell(row, before) {
  if (!row.grade) return h('td', { class: 'muted', text: '—' });
  if (!before || !before.grade) return h('td', { class: 'small muted', text: t('sup.trend.new') });
  const d = Math.round((row.score - before.score) * 10) / 10;
  if (Math.abs(d) < 0.05) return h('td', { class: 'trend same', title: t('sup.trend.same') }, h('span', { 'aria-hidden': 'true', text: '→ ' }), t('sup.trend.same'));
  const up = d > 0;
  return h('td', { class: 'trend ' + (up ? 'up' : 'down'), title: t(up ? 'sup.trend.up' : 'sup.trend.down', { d: num1(Math.abs(d)) }) },
    h('span', { 'aria-hidden': 'true', text: up ? '↑ ' : '↓ ' }), (up ? '+' : '−') + num1(Math.abs(d)));
}

const gradeRank = (g) => (g ? GRADES.indexOf(g) : 9);

/**
 * The communities of a month in a table by street, sortable by any column;
 * a community's name opens its scorecard.
 */
function communityTable(ctx, rows, before) {
  const prev = Object.fromEntries(before.map((r) => [r.community_id, r]));
  const cols = [
    ['street', t('sup.street'), (a, b) => (a.street || '\uffff').localeCompare(b.street || '\uffff', 'zh') || b.score - a.score],
    ['community', t('sup.community'), (a, b) => a.community_name.localeCompare(b.community_name, 'zh')],
    ['company', t('sup.company'), (a, b) => (a.company_name || '\uffff').localeCompare(b.company_name || '\uffff', 'zh')],
    ['score', t('sup.score'), (a, b) => a.score - b.score],
    ['grade', t('sup.grade'), (a, b) => gradeRank(b.grade) - gradeRank(a.grade)],
    ['card', t('sup.card'), (a, b) => (a.card || 'z').localeCompare(b.card || 'z')],
    ['trend', t('sup.trend'), (a, b) => (a.score - ((prev[a.community_id] || a).score)) - (b.score - ((prev[b.community_id] || b).score))],
  ];
  let sortBy = 'street';
  let dir = 1;
  const thead = h('thead');
  const tbody = h('tbody');
  const draw = () => {
    const cmp = cols.find((c) => c[0] === sortBy)[2];
    const sorted = [...rows].sort((a, b) => dir * cmp(a, b) || a.community_name.localeCompare(b.community_name, 'zh'));
    fill(thead, h('tr', null, cols.map(([id, label]) => h('th', { 'aria-sort': id === sortBy ? (dir > 0 ? 'ascending' : 'descending') : null, class: id === 'score' ? 'num' : null },
      h('button', { type: 'button', class: 'sort', dataset: { sort: id }, text: label + (id === sortBy ? (dir > 0 ? ' ▲' : ' ▼') : ''), on: {
        click: () => { if (sortBy === id) dir = -dir; else { sortBy = id; dir = id === 'score' || id === 'trend' ? -1 : 1; } draw(); },
      } })))));
    let street = null;
    const trs = [];
    for (const r of sorted) {
      if (sortBy === 'street' && r.street !== street) {
        street = r.street;
        trs.push(h('tr', { class: 'street-row' }, h('th', { colspan: cols.length, scope: 'rowgroup', text: street || t('sup.no_street') })));
      }
      trs.push(h('tr', { dataset: { communityId: String(r.community_id), grade: r.grade || '' } },
        h('td', { text: r.street || '—' }),
        h('td', null, h('a', { href: `#/${ctx.me.role}/scorecard/${r.community_id}`, text: r.community_name })),
        h('td', { text: r.company_name || t('sup.no_company') }),
        h('td', { class: 'num', text: r.grade ? num1(r.score) : '—' }),
        h('td', null, gradeBadge(r.grade)),
        h('td', null, cardTag(r.card)),
        trendCell(r, prev[r.community_id])));
    }
    fill(tbody, trs.length ? trs : h('tr', null, h('td', { colspan: cols.length, class: 'empty', text: t('sup.communities.empty') })));
  };
  draw();
  return h('div', { class: 'table-wrap' }, h('table', { id: 'sup-communities', class: 'sup-table' }, thead, tbody));
}

function companyTable(items) {
  const order = (c) => (c.card === 'black' ? 0 : c.card === 'red' ? 1 : 2);
  const sorted = [...items].sort((a, b) => order(a) - order(b) || b.score - a.score);
  return table([t('sup.company'), t('sup.credit_code'), t('sup.communities'), t('sup.households'), t('sup.score'), t('sup.grade'), t('sup.card'), t('sup.long_term_poor')],
    sorted.map((c) => h('tr', { dataset: { companyId: String(c.company_id) } },
      h('td', { text: c.company_name }),
      h('td', { class: 'mono small', text: c.credit_code }),
      h('td', { class: 'num', text: String(c.communities) }),
      h('td', { class: 'num', text: String(c.households) }),
      h('td', { class: 'num', text: num1(c.score) }),
      h('td', null, gradeBadge(c.grade)),
      h('td', null, cardTag(c.card)),
      h('td', null, c.long_term_poor ? badge('deny', t('sup.long_term_poor.yes', { n: c.poor_months })) : h('span', { class: 'muted', text: '—' })))),
    t('sup.companies.empty'));
}

/** Rectification orders as a table; actions(r) gives a row's buttons. */
function orderTable(orders, names, actions) {
  return table([t('sup.community'), t('sup.month'), t('sup.rect.reason'), t('sup.rect.deadline'), t('common.status'), t('sup.rect.answer'), actions ? t('common.actions') : null].filter(Boolean),
    orders.map((r) => h('tr', { dataset: { orderId: String(r.id), status: r.status } },
      h('td', { text: names[r.community_id] || '#' + r.community_id }),
      h('td', { text: monthText(r.month) }),
      h('td', { class: 'small', text: reasonText(r.reason) }),
      h('td', null, fmtDate(r.deadline), r.overdue ? [' ', badge('deny', t('sup.rect.overdue'))] : null),
      h('td', null, badge(r.status === 'closed' ? 'active' : r.status === 'escalated' ? 'deny' : 'pending', t('sup.rect.status.' + r.status))),
      h('td', { class: 'small' }, r.answer || '—', r.note ? h('div', { class: 'muted', text: `${t('sup.rect.note')}：${r.note}` }) : null),
      actions ? h('td', { class: 'small' }, actions(r)) : null)),
    t('sup.rect.empty'));
}

async function dashboardPage(ctx) {
  const month = isMonth(ctx.arg) ? ctx.arg : lastMonth();
  const [cur, before, cos, overdue] = await Promise.all([
    get(`/supervision/months/${month}/communities`),
    get(`/supervision/months/${addMonths(month, -1)}/communities`).catch(() => ({ items: [] })),
    get(`/supervision/months/${month}/companies`),
    get('/rectifications', { overdue: 'true' }),
  ]);
  if (!ctx.alive()) return;
  const names = Object.fromEntries(cur.items.map((r) => [r.community_id, r.community_name]));
  const mine = new Set(cur.items.map((r) => r.company_id));
  const companies = ctx.me.role === 'district' ? cos.items : cos.items.filter((c) => mine.has(c.company_id));
  fill(ctx.el,
    h('section', { class: 'card' },
      h('div', { class: 'row' }, h('h1', { style: 'margin:0', text: t('sup.dash.title', { month: monthText(month) }) }), h('span', { class: 'spacer' }),
        monthPicker(month, (m) => { location.hash = `#/${ctx.me.role}/dashboard/${m}`; }),
        cur.published ? h('a', { class: 'btn secondary small', id: 'sup-public-link', href: `#/public/${month}`, text: t('sup.public.link') }) : null),
      stateLine(cur),
      h('p', { class: 'small muted', text: t('sup.dash.hint') }),
      communityTable(ctx, cur.items, before.items)),
    distribution(cur.items),
    h('section', { class: 'card', id: 'sup-companies' }, h('h2', { text: t('sup.companies.title') }), companyTable(companies)),
    h('section', { class: 'card', id: 'sup-overdue' }, h('h2', { text: t('sup.overdue.title') }),
      overdue.items.length ? orderTable(overdue.items, names) : h('p', { class: 'empty', text: t('sup.overdue.empty') })));
}

// ---- a community's scorecard ----

/**
 * The score of the last 12 months as a small SVG line chart, with the
 * grade thresholds dashed behind it; months not graded leave a gap.
 */
function scoreChart(months, scheme) {
  const W = 360, H = 140, L = 28, R = 8, T = 8, B = 22;
  // The score axis runs from a round number below the lowest score (50 at most) to 100.
  const scores = months.filter((m) => m.grade).map((m) => m.score);
  const lo = Math.max(0, Math.min(50, Math.floor((Math.min(100, ...scores) - 5) / 10) * 10));
  const x = (i) => L + (months.length > 1 ? i * (W - L - R) / (months.length - 1) : 0);
  const y = (s) => T + (100 - Math.max(lo, Math.min(100, s))) * (H - T - B) / (100 - lo);
  const ns = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const label = months.map((m) => `${monthShort(m.month)} ${m.grade ? num1(m.score) + ' ' + t('sup.grade.' + m.grade) : t('sup.grade.none')}`).join('，');
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'score-chart', role: 'img', 'aria-label': t('sup.card.chart_label', { list: label }) });
  const g = scheme && scheme.grades ? scheme.grades : { excellent: 90, good: 80, general: 70, pass: 60 };
  for (const [k, v] of Object.entries(g)) {
    if (v < lo) continue;
    svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'th th-' + k }));
    svg.append(el('text', { x: L - 4, y: y(v) + 3, 'text-anchor': 'end', class: 'ax' }, String(v)));
  }
  let path = '';
  months.forEach((m, i) => {
    if (!m.grade) return;
    const prevGraded = i > 0 && months[i - 1].grade;
    path += `${prevGraded ? 'L' : 'M'}${x(i).toFixed(1)},${y(m.score).toFixed(1)} `;
  });
  if (path) svg.append(el('path', { d: path.trim(), class: 'line' }));
  months.forEach((m, i) => {
    if (m.grade) {
      const c = el('circle', { cx: x(i), cy: y(m.score), r: 3.5, class: 'pt grade-' + m.grade });
      c.append(el('title', {}, `${monthText(m.month)} ${num1(m.score)} ${t('sup.grade.' + m.grade)}`));
      svg.append(c);
    }
    if (i % 2 === months.length % 2 || months.length <= 6) svg.append(el('text', { x: x(i), y: H - 6, 'text-anchor': 'middle', class: 'ax' }, monthShort(m.month)));
  });
  return svg;
}

/** A measured figure for people: 95.0% (19/20), or no data. */
function figureText(ind) {
  if (ind.value === null || ind.value === undefined) return t('sup.card.no_data');
  return `${num1(ind.value * 100)}%（${ind.numerator}/${ind.denominator}）`;
}

function apartText(ind) {
  return Object.entries(ind.apart || {}).map(([k, v]) => t('sup.apart.' + k, { n: k === 'median_minutes' ? num1(v) : v })).join('，');
}

/** A community's month: each indicator with its figure, points and formula; the parts. */
function monthDetail(row) {
  return h('section', { class: 'card', id: 'sup-detail' },
    h('h2', { text: t('sup.card.month_detail', { month: monthText(row.month) }) }),
    h('div', { class: 'row' }, gradeBadge(row.grade), cardTag(row.card),
      h('span', { class: 'small', id: 'sup-parts', text: t('sup.card.parts', { m: num1(row.parts.measured), i: num1(row.parts.inspection), c: num1(row.parts.incidents), s: num1(row.score) }) })),
    row.capped ? h('p', { class: 'form-error', text: t('sup.card.capped') }) : null,
    h('ul', { class: 'indicators', id: 'sup-indicators' }, row.indicators.map((ind) => h('li', { dataset: { key: ind.key } },
      h('div', { class: 'ind-head' },
        h('strong', { text: t('sup.ind.' + ind.key) }),
        h('span', { class: 'ind-figure', text: figureText(ind) }),
        h('span', { class: 'ind-points', text: `${num1(ind.points)} / ${num1(ind.max_points)}` })),
      apartText(ind) ? h('div', { class: 'small', text: apartText(ind) }) : null,
      h('div', { class: 'small muted formula', text: `${t('sup.card.formula')}：${t('sup.formula.' + ind.key)}` })))));
}

/** An inspection's photos, read with the session's token and shown from blob: URLs. */
function photoStrip(ins) {
  const box = h('div', { class: 'photos' });
  for (const p of ins.photos || []) {
    getBlob(p.replace(/^\/api\/v1/, '')).then(({ blob }) => {
      box.append(h('img', { src: URL.createObjectURL(blob), alt: t('field.photos'), class: 'photo' }));
    }).catch(() => {});
  }
  return box;
}

async function scorecardPage(ctx) {
  const id = Number((ctx.arg || '').split('/')[0]);
  let choices = ctx.communities.map((c) => [c.id, c.name]);
  if (!choices.length) {
    // The district reads every community's name from the months.
    const m = await get(`/supervision/months/${lastMonth()}/communities`);
    choices = m.items.map((r) => [r.community_id, r.community_name]);
  }
  if (!ctx.alive()) return;
  const pick = h('select', { id: 'sup-card-pick', 'aria-label': t('sup.card.pick') },
    h('option', { value: '', text: t('sup.card.pick') }), choices.map(([v, l]) => h('option', { value: String(v), text: l })));
  pick.value = id ? String(id) : '';
  pick.addEventListener('change', () => { if (pick.value) location.hash = `#/${ctx.me.role}/scorecard/${pick.value}`; });
  const head = h('div', { class: 'row' }, h('span', { class: 'spacer' }), pick);
  if (!id) {
    fill(ctx.el, h('section', { class: 'card' }, h('h1', { text: t('sup.tab.scorecard') }), h('p', { class: 'small muted', text: t('sup.card.pick_hint') }), head));
    return;
  }
  const [sc, scheme] = await Promise.all([get(`/communities/${id}/scorecards`, { months: 12 }), get('/supervision/scheme')]);
  if (!ctx.alive()) return;
  const months = sc.months;
  // The month shown in detail: the one in the fragment, else the last one that has ended.
  const want = (ctx.arg || '').split('/')[1];
  let shown = months.find((m) => m.month === want) || months.find((m) => m.month === lastMonth()) || months[months.length - 1];
  const detail = h('div');
  const inspections = h('div');
  const show = (row) => {
    shown = row;
    for (const tr of history.querySelectorAll('tr[data-month]')) tr.classList.toggle('sel', tr.dataset.month === row.month);
    fill(detail, row.grade ? monthDetail(row) : h('section', { class: 'card' }, h('p', { class: 'empty', text: t('sup.grade.none') })));
    const ins = sc.inspections.filter((x) => x.date.startsWith(row.month));
    fill(inspections, h('section', { class: 'card', id: 'sup-inspections' }, h('h2', { text: `${t('sup.card.inspections')} · ${monthText(row.month)}` }),
      ins.length ? h('ul', { class: 'plain-list' }, ins.map((x) => h('li', null,
        h('div', null, h('strong', { text: x.date }), ' ', x.inspector, ' · ', t('sup.card.by.' + (x.created_role === 'police' ? 'police' : 'street')), ' · ',
          t('sup.card.items_met', { n: x.items_met.length, m: (scheme.checklist || []).length }), x.photos.length ? ' · ' + t('sup.card.photos', { n: x.photos.length }) : ''),
        x.notes ? h('div', { class: 'small muted', text: x.notes }) : null,
        photoStrip(x)))) : h('p', { class: 'empty', text: t('sup.card.no_inspections') })));
  };
  const cats = Object.fromEntries((scheme.incident_categories || []).map((c) => [c.key, c.name]));
  const history = h('table', { class: 'sup-table', id: 'sup-history' },
    h('thead', null, h('tr', null, [t('sup.month'), t('sup.score'), t('sup.grade'), t('sup.card')].map((x) => h('th', { text: x })))),
    h('tbody', null, [...months].reverse().map((m) => h('tr', { dataset: { month: m.month }, class: m.month === shown.month ? 'sel' : null },
      h('td', null, h('button', { type: 'button', class: 'btn-link', text: monthText(m.month), on: { click: () => show(m) } })),
      h('td', { class: 'num', text: m.grade ? num1(m.score) : '—' }),
      h('td', null, gradeBadge(m.grade)),
      h('td', null, cardTag(m.card))))));
  fill(ctx.el,
    h('section', { class: 'card' },
      h('div', { class: 'row' }, h('h1', { style: 'margin:0', id: 'sup-card-title', text: t('sup.card.title', { name: sc.community_name }) }), h('span', { class: 'spacer' }), pick),
      h('h2', { text: t('sup.card.chart') }),
      h('div', { class: 'chart-wrap' }, scoreChart(months, scheme))),
    h('div', { class: 'grid grid-main' },
      h('div', null, detail, inspections),
      h('div', null,
        h('section', { class: 'card' }, h('h2', { text: t('sup.card.history') }), h('div', { class: 'table-wrap' }, history)),
        h('section', { class: 'card', id: 'sup-incidents' }, h('h2', { text: t('sup.card.incidents') }),
          table([t('field.date'), t('field.category'), t('field.case_ref')], sc.incidents.map((x) => h('tr', null,
            h('td', { text: x.date }), h('td', { text: cats[x.category] || x.category }), h('td', { text: x.case_ref }))), t('sup.card.no_incidents'))))));
  show(shown);
}

// ---- rectification orders ----

/** The rectification orders of the communities in scope: a manager answers, a street office or the district closes or escalates. */
export async function rectificationsPage(ctx) {
  const manager = ctx.me.role === 'manager';
  const names = Object.fromEntries(ctx.communities.map((c) => [c.id, c.name]));
  if (!ctx.communities.length) {
    const m = await get(`/supervision/months/${lastMonth()}/communities`).catch(() => ({ items: [] }));
    for (const r of m.items) names[r.community_id] = r.community_name;
  }
  const status = h('select', { id: 'rect-status', 'aria-label': t('common.status') }, h('option', { value: '', text: t('common.all') }),
    ['open', 'answered', 'closed', 'escalated'].map((s) => h('option', { value: s, text: t('sup.rect.status.' + s) })));
  const overdueOnly = h('input', { type: 'checkbox', id: 'rect-overdue' });
  const list = h('div', { id: 'rect-list' });
  const slot = h('div');
  const load = async () => {
    const q = { status: status.value, overdue: overdueOnly.checked ? 'true' : '' };
    if (manager) q.community_id = ctx.communityID;
    const res = await get('/rectifications', q);
    fill(list, orderTable(res.items, names, (r) => actionsOf(r)));
  };
  const actionsOf = (r) => {
    if (r.status === 'closed') return null;
    if (manager) {
      return h('button', { type: 'button', class: 'btn small', dataset: { act: 'answer' }, text: t('sup.rect.do_answer'), on: { click: () => answerForm(r) } });
    }
    return h('div', { class: 'row' },
      h('button', { type: 'button', class: 'btn small secondary', dataset: { act: 'closed' }, text: t('sup.rect.do_close'), on: { click: () => decideForm(r, 'closed') } }),
      r.status !== 'escalated' ? h('button', { type: 'button', class: 'btn small danger secondary', dataset: { act: 'escalated' }, text: t('sup.rect.do_escalate'), on: { click: () => decideForm(r, 'escalated') } }) : null);
  };
  const orderForm = (r, title, f, body) => {
    const form = h('form', { id: 'rect-form', class: 'card' },
      h('h2', { text: `${title} · ${names[r.community_id] || '#' + r.community_id} · ${monthText(r.month)}` }),
      h('p', { class: 'small muted', text: reasonText(r.reason) }),
      h('div', { class: 'fields' }, f),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'btn', id: 'rect-submit', text: t('sup.rect.send') }),
        h('button', { type: 'button', class: 'btn secondary', text: t('common.cancel'), on: { click: () => fill(slot) } })));
    onSubmit(form, async (v) => {
      await patch(`/rectifications/${r.id}`, body(v));
      fill(slot);
      await load();
    });
    fill(slot, form);
    form.scrollIntoView({ block: 'start' });
    form.querySelector('textarea').focus();
  };
  const answerForm = (r) => orderForm(r, t('sup.rect.do_answer'), field({ name: 'answer', type: 'textarea', required: true, rows: 3 }),
    (v) => ({ status: 'answered', answer: v.answer }));
  const decideForm = (r, st) => orderForm(r, t(st === 'closed' ? 'sup.rect.do_close' : 'sup.rect.do_escalate'), field({ name: 'note', type: 'textarea', rows: 2 }),
    (v) => ({ status: st, note: v.note }));
  status.addEventListener('change', () => load().catch(toastError));
  overdueOnly.addEventListener('change', () => load().catch(toastError));
  fill(ctx.el, slot, h('section', { class: 'card' },
    h('div', { class: 'row' }, h('h1', { style: 'margin:0', text: t('sup.rect.title') }), h('span', { class: 'spacer' }), status,
      h('label', { class: 'small' }, overdueOnly, ' ', t('sup.rect.only_overdue'))),
    h('p', { class: 'small muted', text: t(manager ? 'sup.rect.hint_manager' : 'sup.rect.hint_office') }),
    list));
  await load();
}

// ---- the scheme ----

const pct = (x) => String(Math.round(x * 10000) / 100);

/** Steps written for people: "95:10, 90:8" (percent:points). */
function stepsText(steps) { return steps.map((s) => `${pct(s.at)}:${s.points}`).join(', '); }

/** Reads "95:10, 90:8" back into steps, or null when it cannot. */
function parseSteps(s) {
  const out = [];
  for (const part of s.split(/[,，、;；\s]+/).filter(Boolean)) {
    const m = /^(\d+(?:\.\d+)?)%?[:：](\d+(?:\.\d+)?)$/.exec(part);
    if (!m) return null;
    out.push({ at: Number(m[1]) / 100, points: Number(m[2]) });
  }
  return out.length ? out : null;
}

/** A small table of editable rows (checklist items, incident categories) with add and remove. */
function rowsEditor(name, items, columns) {
  const tbody = h('tbody');
  const add = (item, fresh) => {
    const i = tbody.children.length;
    const tr = h('tr', { dataset: { row: String(i) } }, columns.map(([key, type]) => {
      const fname = `${name}[${i}].${key}`;
      let input;
      if (type === 'checkbox') input = h('input', { type: 'checkbox', dataset: { k: key, field: fname }, checked: !!item[key], 'aria-label': t('field.' + key) });
      else input = h('input', { type, dataset: { k: key, field: fname }, value: item[key] ?? '', 'aria-label': t('field.' + key), readOnly: key === 'key' && !fresh,
        step: type === 'number' ? 'any' : null, class: 'cell-' + key });
      return h('td', null, h('div', { class: 'field' }, input, h('div', { class: 'err', hidden: true })));
    }), h('td', null, h('button', { type: 'button', class: 'btn small secondary', text: t('sup.scheme.remove'), on: { click: () => tr.remove() } })));
    tbody.append(tr);
  };
  for (const it of items) add(it, false);
  const el = h('div', { class: 'field', dataset: { field: name } },
    h('span', { class: 'label', text: t('field.' + name) }),
    h('div', { class: 'table-wrap' }, h('table', { class: 'rows-editor' },
      h('thead', null, h('tr', null, columns.map(([key]) => h('th', { text: t('field.' + key) })), h('th'))), tbody)),
    h('div', { class: 'err', hidden: true }),
    h('div', null, h('button', { type: 'button', class: 'btn small secondary', text: t('sup.scheme.add_item'), on: { click: () => add({}, true) } })));
  const read = () => [...tbody.children].map((tr) => {
    const o = {};
    for (const inp of tr.querySelectorAll('input')) {
      const k = inp.dataset.k;
      o[k] = inp.type === 'checkbox' ? inp.checked : inp.type === 'number' ? Number(inp.value) : inp.value.trim();
    }
    return o;
  });
  return { el, read };
}

async function schemePage(ctx) {
  const sc = await get('/supervision/scheme');
  if (!ctx.alive()) return;
  const this_ = monthOf(new Date());
  const stepFields = sc.indicators.map((r, i) => field({ name: `indicators[${i}].steps`, label: `${t('sup.ind.' + r.key)} · ${t('sup.scheme.steps')}`, value: stepsText(r.steps),
    hint: t(['registration_coverage', 'registry_completeness', 'watchlist_answered'].includes(r.key) ? 'sup.scheme.steps_hint_higher' : 'sup.scheme.steps_hint_lower') }));
  const checklist = rowsEditor('checklist', sc.checklist, [['key', 'text'], ['name', 'text'], ['points', 'number']]);
  const categories = rowsEditor('incident_categories', sc.incident_categories, [['key', 'text'], ['name', 'text'], ['deduct', 'number'], ['serious', 'checkbox']]);
  const num = (name, value, attrs) => field({ name, type: 'number', value, attrs: { step: 'any', ...(attrs || {}) }, errorName: name.split('.')[0] === 'weights' || name.split('.')[0] === 'grades' ? name.split('.')[0] : name });
  const form = h('form', { id: 'scheme-form', class: 'card' },
    h('h1', { text: t('sup.scheme.title') }),
    h('p', { class: 'small muted', id: 'scheme-version', text: sc.version ? t('sup.scheme.current', { v: sc.version, from: monthText(sc.effective_from) }) : t('sup.scheme.default') }),
    h('p', { class: 'small muted', text: t('sup.scheme.hint') }),
    h('div', { class: 'fields cols' },
      field({ name: 'effective_from', type: 'month', value: this_ > sc.effective_from ? this_ : sc.effective_from, required: true, attrs: { min: this_ } }),
      h('div')),
    h('h2', { text: t('sup.scheme.weights') }),
    h('div', { class: 'fields cols cols3' }, num('weights.measured', sc.weights.measured), num('weights.inspection', sc.weights.inspection), num('weights.incidents', sc.weights.incidents)),
    h('h2', { text: t('sup.scheme.grades') }),
    h('div', { class: 'fields cols' }, num('grades.excellent', sc.grades.excellent), num('grades.good', sc.grades.good), num('grades.general', sc.grades.general), num('grades.pass', sc.grades.pass),
      num('rectification_days', sc.rectification_days, { min: '1', max: '365' }), num('long_term_poor', sc.long_term_poor, { min: '1', max: '6' })),
    h('h2', { text: t('field.indicators') }),
    h('div', { class: 'fields cols' }, stepFields),
    checklist.el,
    categories.el,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'scheme-submit', text: t('common.save') })));
  onSubmit(form, async (v) => {
    const indicators = [];
    const bad = {};
    sc.indicators.forEach((r, i) => {
      const steps = parseSteps(form.querySelector(`[name="indicators[${i}].steps"]`).value);
      if (!steps) bad[`indicators[${i}].steps`] = t('sup.scheme.steps_bad');
      indicators.push({ key: r.key, steps: steps || [] });
    });
    if (Object.keys(bad).length) { showErrors(form, { fields: bad }); return; }
    const el = (n) => Number(form.querySelector(`[name="${n}"]`).value);
    const saved = await api('PUT', '/supervision/scheme', {
      effective_from: v.effective_from,
      weights: { measured: el('weights.measured'), inspection: el('weights.inspection'), incidents: el('weights.incidents') },
      grades: { excellent: el('grades.excellent'), good: el('grades.good'), general: el('grades.general'), pass: el('grades.pass') },
      rectification_days: el('rectification_days'), long_term_poor: el('long_term_poor'),
      indicators, checklist: checklist.read(), incident_categories: categories.read(),
    });
    form.querySelector('#scheme-version').textContent = t('sup.scheme.current', { v: saved.version, from: monthText(saved.effective_from) });
    showOK(form, t('sup.scheme.saved', { v: saved.version, from: monthText(saved.effective_from) }));
  });
  fill(ctx.el, form);
}

// ---- publishing a month ----

async function publishPage(ctx) {
  const month = isMonth(ctx.arg) ? ctx.arg : lastMonth();
  const m = await get(`/supervision/months/${month}/communities`);
  if (!ctx.alive()) return;
  const republish = !!m.published;
  const form = h('form', { id: 'publish-form', class: 'card' },
    h('div', { class: 'row' }, h('h1', { style: 'margin:0', text: t('sup.publish.title') }), h('span', { class: 'spacer' }),
      monthPicker(month, (x) => { location.hash = `#/district/publish/${x}`; }, lastMonth())),
    h('p', { class: 'small muted', text: t('sup.publish.hint') }),
    stateLine(m),
    distribution(m.items),
    republish ? h('div', { class: 'fields' }, field({ name: 'reason', type: 'textarea', rows: 2, required: true, hint: t('sup.publish.reason_hint') })) : null,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn', id: 'publish-submit', text: t(republish ? 'sup.publish.resubmit' : 'sup.publish.submit') }),
      m.published ? h('a', { class: 'btn secondary', href: `#/public/${month}`, text: t('sup.public.link') }) : null));
  onSubmit(form, async (v) => {
    const res = await post(`/supervision/months/${month}/publish`, republish ? { republish: true, reason: v.reason } : {});
    fill(ctx.el, h('section', { class: 'card' },
      h('div', { class: 'form-ok', role: 'status', id: 'publish-ok', text: t('sup.publish.done', { month: monthText(month), v: res.published.version }) }),
      h('div', { class: 'actions' },
        h('a', { class: 'btn', id: 'publish-public', href: `#/public/${month}`, text: t('sup.public.link') }),
        h('a', { class: 'btn secondary', href: `#/district/dashboard/${month}`, text: t('sup.tab.dashboard') }))));
  });
  fill(ctx.el, form);
}

// ---- inspections and incidents ----

/** A photo as a data: URL the server takes: a JPEG or PNG under 300 KiB, else scaled down to a JPEG. */
async function photoURL(file) {
  const read = (blob) => new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
  if ((file.type === 'image/jpeg' || file.type === 'image/png') && file.size <= 280 * 1024) return read(file);
  const bmp = await createImageBitmap(file);
  let scale = Math.min(1, 1600 / Math.max(bmp.width, bmp.height));
  for (let q = 0.85; ; q -= 0.15) {
    const c = document.createElement('canvas');
    c.width = Math.round(bmp.width * scale);
    c.height = Math.round(bmp.height * scale);
    c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
    const url = c.toDataURL('image/jpeg', Math.max(q, 0.4));
    if (url.length * 0.75 <= 280 * 1024 || q < 0.3) return url;
    if (q < 0.5) scale *= 0.7;
  }
}

// ---- property companies and which runs each community ----

/**
 * The district registers property companies (name, unified social credit
 * code, contact) and changes them, and says which company runs each
 * community from today on, with its street and declared dwellings; the
 * community's history of companies is shown beside it.
 */
async function companiesPage(ctx) {
  const [first, communities] = await Promise.all([get('/companies'), getAll('/communities')]);
  if (!ctx.alive()) return;
  let companies = first.items;
  let editing = null;
  const title = h('h2', { id: 'company-form-title', text: t('sup.co.new') });
  const cancel = h('button', { type: 'button', class: 'btn secondary', id: 'company-cancel', hidden: true, text: t('common.cancel') });
  const form = h('form', { id: 'company-form', class: 'card' }, title,
    h('div', { class: 'fields cols' },
      field({ name: 'name', label: t('sup.co.name'), required: true, attrs: { maxlength: '100' } }),
      field({ name: 'credit_code', label: t('sup.credit_code'), required: true, hint: t('sup.co.credit_hint'), attrs: { maxlength: '18', autocapitalize: 'characters' } }),
      field({ name: 'contact', label: t('sup.co.contact'), attrs: { maxlength: '100' } })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'company-submit', text: t('common.save') }), cancel));
  const list = h('div', { id: 'companies-list' });
  const assign = h('form', { id: 'assign-form', class: 'card' },
    h('h2', { text: t('sup.assign.title') }),
    h('p', { class: 'small muted', text: t('sup.assign.hint') }),
    h('div', { class: 'fields cols' },
      field({ name: 'community_id', type: 'select', required: true, options: communities.map((c) => [String(c.id), c.name]) }),
      field({ id: 'assign-company', name: 'company_id', type: 'select', label: t('sup.company'), required: true }),
      field({ name: 'street', label: t('sup.street'), attrs: { maxlength: '100' } }),
      field({ name: 'declared_dwellings', label: t('sup.households'), type: 'number', attrs: { min: '0', max: '100000', step: '1' } })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'assign-submit', text: t('common.save') })));
  const history = h('div', { id: 'assign-history' });
  const companySelect = assign.elements.company_id;
  const zoneOf = (id) => (communities.find((c) => c.id === Number(id)) || {}).time_zone;

  const nameOf = (id) => (companies.find((c) => c.id === id) || {}).name || t('sup.no_company');
  const drawCompanies = () => {
    fill(list, table([t('sup.co.name'), t('sup.credit_code'), t('sup.co.contact'), t('common.actions')],
      companies.map((c) => h('tr', { dataset: { companyId: String(c.id) } },
        h('td', { text: c.name }), h('td', { class: 'mono small', text: c.credit_code }), h('td', { text: c.contact || '—' }),
        h('td', null, h('button', { type: 'button', class: 'btn secondary small', dataset: { edit: String(c.id) }, text: t('common.edit'), on: { click: () => edit(c) } })))),
      t('sup.companies.empty')));
    const keep = companySelect.value;
    fill(companySelect, companies.map((c) => h('option', { value: String(c.id), text: c.name })));
    if (companies.some((c) => String(c.id) === keep)) companySelect.value = keep;
  };
  const edit = (c) => {
    editing = c;
    title.textContent = t('sup.co.edit', { name: c.name });
    form.elements.name.value = c.name;
    form.elements.credit_code.value = c.credit_code;
    form.elements.contact.value = c.contact || '';
    cancel.hidden = false;
    form.scrollIntoView({ block: 'start' });
    form.elements.name.focus();
  };
  const reset = () => {
    editing = null;
    title.textContent = t('sup.co.new');
    form.reset();
    cancel.hidden = true;
  };
  cancel.addEventListener('click', () => { reset(); clearErrors(form); });
  onSubmit(form, async (v) => {
    const body = { name: v.name.trim(), credit_code: v.credit_code.trim().toUpperCase(), contact: v.contact.trim() };
    const saved = editing ? await patch(`/companies/${editing.id}`, body) : await post('/companies', body);
    companies = (await get('/companies')).items;
    reset();
    drawCompanies();
    showOK(form, t('sup.co.saved', { name: saved.name }));
  });

  const drawHistory = async () => {
    const id = assign.elements.community_id.value;
    if (!id) { fill(history); return; }
    const hist = await get(`/communities/${id}/company`);
    // Another community picked meanwhile: its own answer fills the form, not this one.
    if (assign.elements.community_id.value !== id) return;
    const items = hist.items || [];
    const last = items[items.length - 1];
    assign.elements.street.value = last ? last.street : '';
    assign.elements.declared_dwellings.value = last ? String(last.declared_dwellings) : '';
    if (last) companySelect.value = String(last.company_id);
    fill(history, h('h3', { text: t('sup.assign.history') }),
      table([t('sup.assign.from'), t('sup.company'), t('sup.street'), t('sup.households')],
        [...items].reverse().map((a) => h('tr', null, h('td', { text: fmtDate(a.from, zoneOf(id)) }), h('td', { text: nameOf(a.company_id) }),
          h('td', { text: a.street || '—' }), h('td', { text: String(a.declared_dwellings) }))),
        t('sup.assign.none')));
  };
  assign.elements.community_id.addEventListener('change', () => { clearErrors(assign); drawHistory().catch(toastError); });
  onSubmit(assign, async (v) => {
    const body = { company_id: Number(v.company_id), street: v.street.trim() };
    if (String(v.declared_dwellings).trim() !== '') body.declared_dwellings = Number(v.declared_dwellings);
    const a = await api('PUT', `/communities/${v.community_id}/company`, body);
    const name = (communities.find((c) => c.id === a.community_id) || {}).name || '';
    await drawHistory();
    showOK(assign, t('sup.assign.done', { community: name, company: nameOf(a.company_id), date: fmtDate(a.from, zoneOf(a.community_id)) }));
  });

  drawCompanies();
  fill(ctx.el,
    h('section', { class: 'card', id: 'companies' }, h('h1', { text: t('sup.co.title') }), list),
    form,
    h('div', null, assign, h('section', { class: 'card' }, history)));
  await drawHistory();
}

/** A select of the communities in scope. */
function communityField(ctx) {
  return field({ name: 'community_id', type: 'select', required: true, options: ctx.communities.map((c) => [String(c.id), c.name]),
    value: ctx.communities.length ? String(ctx.communities[0].id) : '' });
}

/** Street offices and police record an inspection: the day, who, the checklist items met, notes and up to 5 photos. */
export async function inspectionPage(ctx) {
  const today = toDateInput(new Date());
  const checks = h('div', { class: 'checks', role: 'group', id: 'inspect-items' });
  const itemsField = h('div', { class: 'field', dataset: { field: 'items_met' } },
    h('span', { class: 'label', text: t('field.items_met') }), checks, h('div', { class: 'err', hidden: true }));
  const photos = h('input', { type: 'file', name: 'photos', id: 'inspect-photos', accept: 'image/jpeg,image/png,image/*', multiple: true, dataset: { field: 'photos' } });
  const form = h('form', { id: 'inspect-form', class: 'card' },
    h('h1', { text: t('sup.inspect.title') }),
    h('p', { class: 'small muted', text: t('sup.inspect.hint') }),
    h('div', { class: 'fields cols' },
      communityField(ctx),
      field({ name: 'date', type: 'date', required: true, value: today, attrs: { max: today } }),
      field({ name: 'inspector', required: true }),
      h('div')),
    itemsField,
    h('div', { class: 'fields' },
      field({ name: 'notes', type: 'textarea', rows: 2 }),
      h('div', { class: 'field' }, h('label', { for: 'inspect-photos', text: t('field.photos') }), photos, h('div', { class: 'err', hidden: true }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'inspect-submit', text: t('common.save') })));
  // The checklist is the scheme's of the inspection's month.
  let items = [];
  const loadItems = async () => {
    const day = form.elements.date.value;
    const sc = await get('/supervision/scheme', /^\d{4}-\d{2}-\d{2}$/.test(day) ? { month: day.slice(0, 7) } : {});
    items = sc.checklist;
    fill(checks, items.map((it) => h('label', null, h('input', { type: 'checkbox', value: it.key, dataset: { item: it.key } }), ` ${it.name}（${it.points}）`)));
  };
  form.elements.date.addEventListener('change', () => loadItems().catch(toastError));
  onSubmit(form, async (v) => {
    const files = [...photos.files];
    if (files.length > 5 || files.some((f) => !f.type.startsWith('image/'))) {
      showErrors(form, { fields: { photos: t('sup.inspect.photo_bad') } });
      return;
    }
    const met = [...checks.querySelectorAll('input:checked')].map((x) => x.value);
    const body = { community_id: Number(v.community_id), date: v.date, inspector: v.inspector, items_met: met, notes: v.notes,
      photos: await Promise.all(files.map(photoURL)) };
    const saved = await post('/inspections', body);
    const name = (ctx.communities.find((c) => c.id === saved.community_id) || {}).name || '';
    photos.value = '';
    form.elements.notes.value = '';
    for (const x of checks.querySelectorAll('input')) x.checked = false;
    showOK(form, t('sup.inspect.done', { community: name, date: saved.date, n: saved.items_met.length, m: items.length }));
  });
  fill(ctx.el, form);
  await loadItems();
}

/** Police record an incident attributed to a community: the day, its category and the case reference. */
export async function incidentPage(ctx) {
  const today = toDateInput(new Date());
  const sc = await get('/supervision/scheme');
  if (!ctx.alive()) return;
  const form = h('form', { id: 'incident-form', class: 'card' },
    h('h1', { text: t('sup.incident.title') }),
    h('p', { class: 'small muted', text: t('sup.incident.hint') }),
    h('div', { class: 'fields cols' },
      communityField(ctx),
      field({ name: 'date', type: 'date', required: true, value: today, attrs: { max: today } }),
      field({ name: 'category', type: 'select', required: true, options: sc.incident_categories.map((c) => [c.key, c.name + (c.serious ? t('sup.incident.serious') : '')]) }),
      field({ name: 'case_ref', required: true })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'incident-submit', text: t('common.save') })));
  onSubmit(form, async (v) => {
    const saved = await post('/incidents', { community_id: Number(v.community_id), date: v.date, category: v.category, case_ref: v.case_ref });
    const name = (ctx.communities.find((c) => c.id === saved.community_id) || {}).name || '';
    form.elements.case_ref.value = '';
    showOK(form, t('sup.incident.done', { community: name, date: saved.date }));
  });
  fill(ctx.el, form);
}

// ---- the public results (no log-in) ----

/** The published results of a month, as the district publishes them: anyone may read them. */
export async function renderPublic({ el, month, alive }) {
  month = isMonth(month) ? month : lastMonth();
  const head = h('div', { class: 'row' }, h('h1', { style: 'margin:0', id: 'public-title', text: t('sup.public.title', { month: monthText(month) }) }), h('span', { class: 'spacer' }),
    monthPicker(month, (m) => { location.hash = `#/public/${m}`; }, lastMonth()));
  fill(el, h('section', { class: 'card' }, head, h('p', { class: 'loading', text: t('common.loading') })));
  let p;
  try {
    p = await get(`/public/grades/${month}`);
  } catch (err) {
    if (!alive()) return;
    fill(el, h('section', { class: 'card' }, head, h('p', { class: 'empty', id: 'public-none', text: err.status === 404 ? t('sup.public.not_published') : (err.message || t('common.error')) })));
    return;
  }
  if (!alive()) return;
  const lang = currentLang() === 'en' ? 'en' : 'zh';
  const link = (format, key) => h('a', { class: 'btn secondary small', id: `public-${format}`, href: `/api/v1/public/grades/${month}?format=${format}&lang=${lang}`, download: '', text: t(key) });
  fill(el,
    h('section', { class: 'card' }, head,
      h('p', { class: 'small muted', text: t('sup.public.intro') }),
      h('p', { class: 'small muted', id: 'public-version', text: t('sup.public.published', { v: p.version, at: fmtTime(p.published_at) }) }),
      h('div', { class: 'row' }, link('csv', 'sup.public.csv'), link('xlsx', 'sup.public.xlsx'))),
    distribution(p.communities),
    h('section', { class: 'card' }, h('h2', { text: t('sup.community') }),
      table([t('sup.street'), t('sup.community'), t('sup.company'), t('sup.grade'), t('sup.card')],
        [...p.communities].sort((a, b) => (a.street || '\uffff').localeCompare(b.street || '\uffff', 'zh') || gradeRank(a.grade) - gradeRank(b.grade) || a.community.localeCompare(b.community, 'zh'))
          .map((r) => h('tr', null, h('td', { text: r.street || '—' }), h('td', { text: r.community }), h('td', { text: r.company || t('sup.no_company') }),
            h('td', null, gradeBadge(r.grade)), h('td', null, cardTag(r.card)))), t('sup.communities.empty'))),
    h('section', { class: 'card' }, h('h2', { text: t('sup.companies.title') }),
      table([t('sup.company'), t('sup.credit_code'), t('sup.grade'), t('sup.card'), t('sup.long_term_poor')],
        p.companies.map((c) => h('tr', null, h('td', { text: c.company }), h('td', { class: 'mono small', text: c.credit_code }), h('td', null, gradeBadge(c.grade)),
          h('td', null, cardTag(c.card)), h('td', null, c.long_term_poor ? badge('deny', t('sup.long_term_poor')) : h('span', { class: 'muted', text: '—' })))),
        t('sup.companies.empty'))));
}
