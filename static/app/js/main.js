// The shell: log-in, the session (token in sessionStorage, restored with
// GET /auth/me), the header, and routing by the URL's fragment:
// #/login, #/guest/CODE, #/public/MONTH, #/ROLE[/TAB]. Each role has its own pages.

import { get, post, setToken, token, whenUnauthorized } from './api.js';
import { t, setLang, currentLang } from './i18n.js';
import { h, fill, field, onSubmit, snapshotForms } from './ui.js';
import * as guard from './guard.js';
import * as resident from './resident.js';
import * as manager from './manager.js';
import * as police from './police.js';
import * as admin from './admin.js';
import * as guest from './guest.js';
import { loginView, activateView } from './signin.js';
import * as visit from './visit.js';
import { district, street, renderPublic } from './district.js';

const pages = { guard, resident, manager, police, admin, district, street };
const COMMUNITY_KEY = 'gatehouse.community';

const state = {
  me: null,          // {id, username, role, community_ids, resident_id}
  communities: [],   // communities the user may see
  cleanups: [],
  loginNote: '',
  returnTo: '',      // the page a session ended on: back there after signing in again
};

const view = () => document.getElementById('view');

function route() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [page = '', tab = '', ...rest] = raw.split('/');
  return { page, tab, arg: rest.join('/') };
}

/** Where a role lands after log-in. */
function home(role) { return '#/' + (pages[role] ? role : 'login'); }

function runCleanups() {
  for (const fn of state.cleanups.splice(0)) {
    try { fn(); } catch { /* a view's cleanup must not stop the next view */ }
  }
}

/** The community the manager (or admin) works on now. */
export function currentCommunity() {
  const ids = state.communities.map((c) => c.id);
  const saved = Number(sessionStorage.getItem(COMMUNITY_KEY));
  if (ids.includes(saved)) return saved;
  return ids[0] || 0;
}

function renderHeader() {
  document.title = t('app.name');
  const brand = document.getElementById('brand');
  brand.textContent = t('app.name');
  brand.href = state.me ? home(state.me.role) : '#/login';
  const langBtn = document.getElementById('lang');
  langBtn.textContent = t('lang.switch');
  langBtn.title = t('lang.switch.title');
  langBtn.lang = currentLang() === 'zh' ? 'en' : 'zh-CN';
  const logout = document.getElementById('logout');
  logout.textContent = t('nav.logout');
  logout.hidden = !state.me;
  const who = document.getElementById('who');
  who.textContent = state.me ? `${state.me.username} · ${t('role.' + state.me.role)}` : '';
  const nav = document.getElementById('nav');
  nav.replaceChildren();
  const r = route();
  const mod = state.me && pages[state.me.role];
  if (mod && r.page === state.me.role) {
    const cur = r.tab || mod.tabs[0][0];
    for (const [id, key] of mod.tabs) {
      nav.append(h('a', { href: `#/${state.me.role}/${id}`, 'aria-current': id === cur ? 'page' : null, text: t(key), dataset: { tab: id } }));
    }
    showActiveTab(nav);
  }
  const pick = document.getElementById('community-pick');
  pick.replaceChildren();
  if (state.me && state.me.role === 'manager' && state.communities.length > 1) {
    const sel = h('select', { 'aria-label': t('common.community'), id: 'community-select' },
      state.communities.map((c) => h('option', { value: String(c.id), text: c.name })));
    sel.value = String(currentCommunity());
    sel.addEventListener('change', () => { sessionStorage.setItem(COMMUNITY_KEY, sel.value); render(); });
    pick.append(sel);
  }
}

/**
 * Scrolls a tab bar wider than the screen (a phone) so that its active tab
 * is in view, centred when it can be; the page itself does not move.
 */
function showActiveTab(nav) {
  const a = nav.querySelector('[aria-current="page"]');
  if (!a || nav.scrollWidth <= nav.clientWidth) return;
  nav.scrollLeft = Math.max(0, a.offsetLeft - nav.offsetLeft - (nav.clientWidth - a.offsetWidth) / 2);
}

function renderLogin() {
  fill(view(), loginView({ note: state.loginNote, onSignedIn }));
  document.getElementById('login-username').focus();
}

/** Keeps a new session's token and goes to the role's home. */
async function onSignedIn(res, remember) {
  setToken(res.token, remember);
  state.loginNote = '';
  const back = state.returnTo;
  state.returnTo = '';
  await startSession(res.user);
  // Signed in again after a session ended: back to the same page (a guard
  // to the console, with its gate and direction as they were).
  const start = home(res.user.role);
  go(back === start || back.startsWith(start + '/') ? back : start);
}

async function startSession(me) {
  state.me = me;
  state.communities = [];
  if (me.role !== 'resident') {
    try {
      const list = await get('/communities', { limit: 500 });
      state.communities = list.items;
    } catch { /* a page asks again and shows its own error */ }
  }
}

/** Draws the page the fragment names. */
let generation = 0;

export function render() {
  runCleanups();
  generation += 1;
  const gen = generation;
  const r = route();
  if (visit.posterToken()) {
    renderHeader();
    visit.renderVisitor({ el: view(), token: visit.posterToken(), onCleanup: (fn) => state.cleanups.push(fn) });
    return;
  }
  if (r.page === 'guest') {
    renderHeader();
    const raw = [r.tab, r.arg].filter(Boolean).join('/');
    let code = raw;
    try { code = decodeURIComponent(raw); } catch { /* a code pasted unencoded (GH2 codes hold %) */ }
    guest.render({ el: view(), code, alive: () => gen === generation });
    return;
  }
  if (r.page === 'public') {
    // The district's published grades: anyone, signed in or not.
    renderHeader();
    renderPublic({ el: view(), month: r.tab, alive: () => gen === generation });
    return;
  }
  if (r.page === 'activate') {
    renderHeader();
    activateView({ el: view(), code: decodeURIComponent([r.tab, r.arg].filter(Boolean).join('/')), onSignedIn });
    return;
  }
  if (!state.me) {
    if (r.page !== 'login') { location.replace('#/login'); return; }
    renderHeader();
    renderLogin();
    return;
  }
  if (r.page !== state.me.role) { location.replace(home(state.me.role)); return; }
  renderHeader();
  const mod = pages[state.me.role];
  const tab = mod.tabs.some(([id]) => id === r.tab) ? r.tab : mod.tabs[0][0];
  const ctx = {
    me: state.me,
    tab,
    arg: r.arg,
    el: view(),
    communities: state.communities,
    communityID: currentCommunity(),
    community: state.communities.find((c) => c.id === currentCommunity()) || null,
    onCleanup: (fn) => state.cleanups.push(fn),
    alive: () => gen === generation,
    refreshCommunities: async () => { await startSession(state.me); renderHeader(); },
  };
  fill(view(), h('p', { class: 'loading', text: t('common.loading') }));
  Promise.resolve(mod.render(ctx)).catch((err) => {
    // A page left behind (signed out, another tab opened) keeps its error to
    // itself: a late 401 of the old session must not cover the log-in form.
    if (gen !== generation) return;
    fill(view(), h('div', { class: 'card' }, h('div', { class: 'form-error', role: 'alert', text: (err && err.message) || String(err) })));
  });
}

function logout() {
  const tok = token();
  if (tok) post('/auth/logout').catch(() => {});
  setToken('');
  state.me = null;
  state.communities = [];
  state.returnTo = '';
  runCleanups();
  go('#/login');
}

/** Moves to a page: by the fragment, or by drawing again when already there. */
function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

async function boot() {
  document.getElementById('lang').addEventListener('click', () => {
    snapshotForms();
    setLang(currentLang() === 'zh' ? 'en' : 'zh');
    render();
  });
  document.getElementById('logout').addEventListener('click', logout);
  whenUnauthorized((err) => {
    if (!state.me) return;
    setToken('');
    state.returnTo = location.hash;
    state.me = null;
    // A change (a scan, a form) that met the ended session was not made: say so.
    state.loginNote = t(err && err.method && err.method !== 'GET' ? 'common.session_expired_undone' : 'common.session_expired');
    runCleanups();
    location.hash = '#/login';
  });
  window.addEventListener('hashchange', render);
  if (token() && !location.hash.startsWith('#/guest/') && !visit.posterToken()) {
    try {
      await startSession(await get('/auth/me'));
    } catch {
      setToken('');
      state.me = null;
    }
  }
  if (state.me && (!location.hash || location.hash === '#/' || location.hash === '#/login')) {
    location.replace(home(state.me.role)); // hashchange draws it
    return;
  }
  render();
}

boot();
