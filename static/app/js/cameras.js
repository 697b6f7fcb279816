// The manager's gate page, vehicle gates: register a gate's licence-plate
// camera (vendor, serial number, lane) and see its push URL once; rotate the
// URL's token when it may have leaked.

import { get, post, patch, del } from './api.js';
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

// ---- residents' vehicles and watched plates ----

const COLORS = ['', 'blue', 'yellow', 'green', 'yellow_green', 'white', 'black'];

/** The 车辆 button of a resident's row: its vehicles, added and deleted in slot. */
export function vehiclesButton(r, slot) {
  return h('button', { type: 'button', class: 'btn secondary small', dataset: { vehicles: String(r.id) }, text: t('vehicles.button'),
    on: { click: () => { vehiclesPanel(r, slot).catch(toastError); slot.scrollIntoView({ block: 'start' }); } } });
}

async function vehiclesPanel(r, slot) {
  const list = h('ul', { class: 'vehicle-list' });
  const plate = h('input', { name: 'plate', id: 'vehicle-plate', autocomplete: 'off', autocapitalize: 'characters', placeholder: '粤B12345' });
  const color = h('select', { name: 'plate_color', id: 'vehicle-color' }, COLORS.map((c) => h('option', { value: c, text: t('vehicles.color.' + (c || 'none')) })));
  const label = h('input', { name: 'label', id: 'vehicle-label', autocomplete: 'off' });
  const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'card', id: 'vehicles-form' },
    h('h2', { text: t('vehicles.title', { name: r.name }) }),
    list,
    h('div', { class: 'fields cols' },
      h('div', { class: 'field' }, h('label', { for: plate.id, text: t('field.plate') }), plate),
      h('div', { class: 'field' }, h('label', { for: color.id, text: t('vehicles.color') }), color),
      h('div', { class: 'field' }, h('label', { for: label.id, text: t('vehicles.label') }), label)),
    err,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: t('vehicles.add') }),
      h('button', { type: 'button', class: 'btn secondary', text: t('common.close'), on: { click: () => fill(slot) } })));
  const load = async () => {
    const res = await get(`/residents/${r.id}/vehicles`);
    fill(list, res.items.length ? res.items.map((v) => h('li', { dataset: { vehicleId: String(v.id) } },
      h('strong', { class: 'mono', text: v.plate }), ' ', v.label || '', ' ',
      h('button', { type: 'button', class: 'btn danger secondary small', text: t('common.delete'), on: {
        click: (e) => busy(e.currentTarget, async () => { await del(`/vehicles/${v.id}`); await load(); }).catch(toastError),
      } }))) : h('li', { class: 'empty', text: t('vehicles.empty') }));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    try {
      await post(`/residents/${r.id}/vehicles`, { plate: plate.value, plate_color: color.value, label: label.value });
      plate.value = '';
      label.value = '';
      await load();
    } catch (x) {
      err.textContent = x && x.fields && Object.keys(x.fields).length ? Object.values(x.fields).join('；') : errorText(x);
      err.hidden = false;
    }
  });
  fill(slot, form);
  await load();
  plate.focus();
}

/** The watchlist page's watched plates: refused at vehicle gates on the way in. */
export function plateWatchCard(communityID) {
  const tbody = h('tbody');
  const plate = h('input', { name: 'plate', id: 'watch-plate', autocomplete: 'off', autocapitalize: 'characters', placeholder: '粤B12345' });
  const reason = h('input', { name: 'reason', id: 'watch-plate-reason', autocomplete: 'off' });
  const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const load = async () => {
    const res = await get('/plate-watchlist', { community_id: communityID });
    fill(tbody, res.items.length ? res.items.map((w) => h('tr', { dataset: { plate: w.plate } },
      h('td', { class: 'mono', text: w.plate }), h('td', { text: w.reason }),
      h('td', null, h('button', { type: 'button', class: 'btn danger secondary small', text: t('common.delete'), on: {
        click: (e) => busy(e.currentTarget, async () => { await del(`/plate-watchlist/${w.id}`); await load(); }).catch(toastError),
      } })))) : h('tr', null, h('td', { colspan: 3, class: 'empty', text: t('watchplates.empty') })));
  };
  const form = h('form', { id: 'watch-plate-form' },
    h('div', { class: 'fields cols' },
      h('div', { class: 'field' }, h('label', { for: plate.id, text: t('field.plate') }), plate),
      h('div', { class: 'field' }, h('label', { for: reason.id, text: t('field.reason') }), reason)),
    err,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', text: t('watchplates.add') })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    try {
      await post('/plate-watchlist', { community_id: communityID, plate: plate.value, reason: reason.value });
      form.reset();
      await load();
    } catch (x) {
      err.textContent = x && x.fields && Object.keys(x.fields).length ? Object.values(x.fields).join('；') : errorText(x);
      err.hidden = false;
    }
  });
  load().catch(toastError);
  return h('section', { class: 'card', id: 'plate-watchlist' },
    h('h2', { text: t('watchplates.title') }), h('p', { class: 'small muted', text: t('watchplates.hint') }),
    h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, [t('field.plate'), t('field.reason'), t('common.actions')].map((x) => h('th', { text: x })))), tbody)),
    form);
}
