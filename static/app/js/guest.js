// The guest's page: #/guest/CODE, opened from the link a resident shares.
// The QR is drawn here, on the guest's phone, from the code in the URL's
// fragment (which browsers never send to the server); no log-in is needed.
// The card around it is read by POSTing the code (POST /guest/card).

import qrcode from '../vendor/qrcode-generator.mjs';
import { t } from './i18n.js';
import { h, fill, fmtTime } from './ui.js';
import { post } from './api.js';

// GH2 codes are Base45, QR's alphanumeric set: drawn in alphanumeric mode they
// fit version 6 (byte mode would need 8). GH1 codes (base64url) need byte mode.
const gh2 = /^GH2[0-9A-Z $%*+\-./:]{10,157}$/;
const gh1 = /^GH1[A-Za-z0-9_-]{10,157}$/;

/** Draws code as a QR on a canvas, with a quiet zone of 4 modules. */
export function qrCanvas(code, px = 8) {
  const qr = qrcode(0, 'M');
  qr.addData(code, gh2.test(code) ? 'Alphanumeric' : 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  const canvas = h('canvas', { width: (n + quiet * 2) * px, height: (n + quiet * 2) * px, role: 'img', 'aria-label': code });
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = '#000';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) g.fillRect((c + quiet) * px, (r + quiet) * px, px, px);
    }
  }
  return canvas;
}

/** "3栋 2单元 502" from a card. */
function dwellingOf(c) { return [c.building, c.unit, c.room].filter(Boolean).join(' '); }

/**
 * Draws the guest's card: the community, the gates, the host's dwelling,
 * the guest, the validity in the community's time, the entries left, and
 * the QR only while the pass can still be used. A revoked, expired or
 * used-up pass says so in words and shows no code to scan.
 */
export async function render({ el, code, alive = () => true }) {
  const ok = gh2.test(code) || gh1.test(code);
  if (!ok) {
    fill(el, h('div', { class: 'card guest' }, h('h1', { text: t('guest.title') }), h('div', { class: 'form-error', role: 'alert', text: t('guest.bad') })));
    return;
  }
  fill(el, h('div', { class: 'card guest pass-card', id: 'guest-pass' }, h('h1', { text: t('guest.title') }), h('p', { class: 'loading', text: t('common.loading') })));
  let card = null;
  let problem = '';
  try {
    card = await post('/guest/card', { code });
  } catch (err) {
    problem = err && err.status === 404 ? 'unknown' : 'offline';
  }
  if (!alive()) return;
  const qr = () => [h('div', { class: 'qr-box' }, qrCanvas(code)), h('div', { class: 'code-text mono', text: code })];
  if (!card) {
    // Unknown: no QR. Unreachable: the QR, as the gate checks it anyway.
    fill(el, h('div', { class: 'card guest pass-card', id: 'guest-pass', dataset: { status: problem } },
      h('h1', { text: t('guest.title') }),
      h('div', { class: problem === 'unknown' ? 'form-error' : 'hint', role: 'alert', id: 'guest-state', text: t('guest.card.' + problem) }),
      problem === 'offline' ? [h('p', { text: t('guest.hint') }), qr()] : null));
    return;
  }
  const tz = card.time_zone;
  const fact = (label, value, id) => [h('dt', { text: label }), h('dd', { id, text: value })];
  let state = null;
  if (!card.usable) state = h('div', { class: 'form-error', role: 'alert', id: 'guest-state', text: t('guest.card.' + card.status) });
  else if (card.status === 'pending') state = h('div', { class: 'hint', role: 'status', id: 'guest-state', text: t('guest.card.pending', { t: fmtTime(card.valid_from, tz) }) });
  fill(el, h('div', { class: 'card guest pass-card', id: 'guest-pass', dataset: { status: card.status } },
    h('h1', { text: t('guest.title') }),
    h('div', { class: 'guest-community' }, h('strong', { id: 'guest-community', text: card.community }),
      card.address ? h('div', { class: 'small muted', id: 'guest-address', text: card.address }) : null),
    state,
    card.usable ? [h('p', { text: t('guest.hint') }), qr()] : null,
    h('dl', { class: 'card-facts' },
      fact(t('guest.card.guest'), card.guest_name, 'guest-name'),
      fact(t('guest.card.visiting'), card.host_moved ? t('guest.card.host_moved') : dwellingOf(card), 'guest-dwelling'),
      fact(t('guest.card.gates'), card.gates.length ? card.gates.join('、') : t('guest.card.any_gate'), 'guest-gates'),
      fact(t('guest.card.valid'), t('resident.pass.valid', { from: fmtTime(card.valid_from, tz), until: fmtTime(card.valid_until, tz) }), 'guest-valid'),
      fact(t('guest.card.remaining'), t('guest.card.remaining_n', { n: card.remaining_entries, max: card.max_entries }), 'guest-remaining'))));
}
