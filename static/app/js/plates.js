// The guard console's unknown-plate cards: a vehicle gate's camera read a
// plate that opens nothing by itself (unknown, or read with low
// confidence). The card shows the camera's plate, the community's plates it
// resembles, and a one-tap 登记放行: the host by dwelling and the purpose;
// the car's next read at an entry lane then opens the barrier.

import { get, post } from './api.js';
import { t, reasonText } from './i18n.js';
import { h, fill, fmtClock, toast, errorText, clearErrors } from './ui.js';

const WAITING = new Set(['unknown_plate', 'low_confidence']);

/** Whether a live decision is a car the guard must decide on (or be warned of). */
export function needsGuard(ev) {
  return ev.method === 'plate' && ev.direction === 'in' && ev.decision === 'deny' && !!ev.plate &&
    (WAITING.has(ev.reason) || ev.reason === 'watchlisted');
}

/** A watched plate at the barrier: an alert, no admission. */
function watchedCard(box, ev, gate) {
  const form = h('div', { class: 'plate-card card plate-watched', role: 'alert', dataset: { plate: ev.plate, entryId: String(ev.entry_id) } },
    h('div', { class: 'row' },
      h('strong', { class: 'plate-number', text: ev.plate }), h('span', { class: 'spacer' }),
      h('span', { class: 'small muted', text: `${fmtClock(ev.occurred_at)} · ${gate.name}` })),
    h('p', { class: 'plate-reason form-error', text: t('plate.watched') }));
  form.append(h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn secondary', text: t('plate.dismiss'), on: { click: () => form.remove() } })));
  box.prepend(form);
}

/**
 * Adds (or refreshes) the card of ev's plate to box. hostPicker makes the
 * console's resident search; gates are the console's gates.
 */
export function plateCard(box, ev, gates, hostPicker) {
  const old = box.querySelector(`[data-plate="${CSS.escape(ev.plate)}"]`);
  if (old) old.remove();
  const gate = gates.find((g) => g.id === ev.gate_id);
  if (!gate) return;
  if (ev.reason === 'watchlisted') { watchedCard(box, ev, gate); return; }
  const matches = h('p', { class: 'small plate-matches' });
  const picker = hostPicker(gate.community_id, 'host_resident_id', `plate-host-${ev.entry_id}`);
  const purpose = h('input', { name: 'purpose', id: `plate-purpose-${ev.entry_id}`, value: t('plate.purpose.default'), dataset: { field: 'purpose' } });
  const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const admit = h('button', { type: 'submit', class: 'btn', text: t('plate.admit') });
  const dismiss = h('button', { type: 'button', class: 'btn secondary', text: t('plate.dismiss') });
  const form = h('form', { class: 'plate-card card', role: 'alert', dataset: { plate: ev.plate, entryId: String(ev.entry_id) } },
    h('div', { class: 'row' },
      h('strong', { class: 'plate-number', text: ev.plate }), h('span', { class: 'spacer' }),
      h('span', { class: 'small muted', text: `${fmtClock(ev.occurred_at)} · ${gate.name}` })),
    h('p', { class: 'plate-reason', text: reasonText(ev.reason) }),
    matches,
    h('div', { class: 'fields cols' }, picker,
      h('div', { class: 'field' }, h('label', { for: purpose.id, text: t('field.purpose') }), purpose)),
    err,
    h('div', { class: 'actions' }, admit, dismiss));
  dismiss.addEventListener('click', () => form.remove());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    err.hidden = true;
    admit.disabled = true;
    try {
      await post('/plate-admissions', { gate_id: gate.id, plate: ev.plate,
        host_resident_id: Number(form.elements.host_resident_id.value) || 0, purpose: purpose.value });
      toast(t('plate.admitted', { plate: ev.plate }), 'ok');
      form.remove();
    } catch (x) {
      err.textContent = x && x.fields && Object.keys(x.fields).length ? Object.values(x.fields).join('；') : errorText(x);
      err.hidden = false;
    } finally {
      admit.disabled = false;
    }
  });
  box.prepend(form);
  get('/plate-matches', { community_id: gate.community_id, plate: ev.plate }).then((res) => {
    fill(matches, res.matches.length ? t('plate.matches', { list: res.matches.join('、') }) : '');
  }).catch(() => {});
}
