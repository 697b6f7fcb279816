// The manager's gate page, vehicle gates: register a gate's licence-plate
// camera (vendor, serial number, lane) and see its push URL once; rotate the
// URL's token when it may have leaked.

import { post, patch } from './api.js';
import { t } from './i18n.js';
import { h, fill, copyText, busy, toastError, errorText } from './ui.js';

/** The camera push URL, shown this once, with a copy button. */
function urlBox(g) {
  return h('div', { class: 'secret', id: 'camera-url', role: 'alert' },
    h('strong', { text: `${g.name}: ` }), t('camera.url_once'),
    h('code', { class: 'mono', id: 'camera-url-value', text: g.camera_url }),
    h('button', { type: 'button', class: 'btn small', text: t('common.copy'), on: { click: () => copyText(g.camera_url) } }));
}

/** What the gate's row says of its camera. */
export function cameraCell(g) {
  if (g.kind !== 'vehicle' || !g.camera) return h('span', { class: 'small muted', text: t('camera.none') });
  return h('div', { class: 'small gate-camera' }, `${t('camera.vehicle')} · ${g.camera.vendor} ${g.camera.serial} · ${t('camera.lane.' + g.camera.lane)}`);
}

/**
 * The row's camera actions: register (or change) the camera, and for a
 * vehicle gate rotate its URL. slot shows a URL once; replace redraws the row.
 */
export function cameraActions(g, slot, replace) {
  const edit = h('button', { type: 'button', class: 'btn secondary small', dataset: { camera: String(g.id) }, text: t('camera.register') });
  edit.addEventListener('click', () => {
    const cam = g.camera || { vendor: 'vzenith', serial: '', lane: 'in' };
    const serial = h('input', { name: 'serial', id: `camera-serial-${g.id}`, value: cam.serial, autocomplete: 'off', spellcheck: 'false' });
    const lane = h('select', { name: 'lane', id: `camera-lane-${g.id}` },
      ['in', 'out'].map((l) => h('option', { value: l, text: t('camera.lane.' + l) })));
    lane.value = cam.lane;
    const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
    const form = h('form', { class: 'camera-form card' },
      h('h3', { text: `${g.name} · ${t('camera.register')}` }),
      h('p', { class: 'small muted', text: t('camera.hint') }),
      h('div', { class: 'fields cols' },
        h('div', { class: 'field' }, h('label', { text: t('camera.vendor') }), h('span', { text: '臻识 Vzenith (vzenith)' })),
        h('div', { class: 'field' }, h('label', { for: serial.id, text: t('camera.serial') }), serial),
        h('div', { class: 'field' }, h('label', { for: lane.id, text: t('camera.lane') }), lane)),
      err,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: t('common.save') })));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.hidden = true;
      try {
        const ng = await patch(`/gates/${g.id}`, { kind: 'vehicle', camera: { vendor: 'vzenith', serial: serial.value, lane: lane.value } });
        fill(slot, ng.camera_url ? urlBox(ng) : null);
        replace(ng);
      } catch (x) {
        err.textContent = x && x.fields && Object.keys(x.fields).length ? Object.values(x.fields).join('；') : errorText(x);
        err.hidden = false;
      }
    });
    fill(slot, form);
    serial.focus();
  });
  if (g.kind !== 'vehicle' || !g.camera) return [edit];
  const rotate = h('button', { type: 'button', class: 'btn secondary small', text: t('camera.rotate') });
  rotate.addEventListener('click', () => {
    if (!confirm(t('camera.rotate_confirm', { name: g.name }))) return;
    busy(rotate, async () => {
      const ng = await post(`/gates/${g.id}/rotate-camera-token`);
      fill(slot, urlBox(ng));
      replace(ng);
    }).catch(toastError);
  });
  return [edit, rotate];
}
