// The guest's page: #/guest/CODE, opened from the link a resident shares.
// The QR is drawn here, on the guest's phone, from the code in the URL's
// fragment (which browsers never send to the server); no log-in is needed.

import qrcode from '../vendor/qrcode-generator.mjs';
import { t } from './i18n.js';
import { h, fill } from './ui.js';

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

export function render({ el, code }) {
  const ok = gh2.test(code) || gh1.test(code);
  if (!ok) {
    fill(el, h('div', { class: 'card guest' }, h('h1', { text: t('guest.title') }), h('div', { class: 'form-error', role: 'alert', text: t('guest.bad') })));
    return;
  }
  fill(el, h('div', { class: 'card guest pass-card', id: 'guest-pass' },
    h('h1', { text: t('guest.title') }),
    h('p', { text: t('guest.hint') }),
    h('div', { class: 'qr-box' }, qrCanvas(code)),
    h('div', { class: 'code-text mono', text: code })));
}
