// Residents' sign-in: the log-in card (password, or phone and a texted
// code; "remember this device"), the activation page of a letter, the list
// of one's signed-in devices, changing one's own password, and the
// manager's printed activation letter.

import { get, post, del, api, setToken } from './api.js';
import { t } from './i18n.js';
import { h, fill, field, onSubmit, busy, toast, toastError, fmtTime, errorText, showErrors, clearErrors } from './ui.js';

/** A "remember this device" checkbox. */
function rememberBox(id) {
  const box = h('input', { type: 'checkbox', id, name: 'remember' });
  return h('label', { class: 'small remember' }, box, ' ', t('signin.remember'));
}

function deviceName() {
  const ua = navigator.userAgent;
  if (/iPhone|iPad/.test(ua)) return /MicroMessenger/.test(ua) ? 'iPhone · 微信' : 'iPhone';
  if (/Android/.test(ua)) return /MicroMessenger/.test(ua) ? 'Android · 微信' : 'Android';
  return '';
}

/**
 * The log-in card. onSignedIn(answer, remember) is called with the answer
 * of a successful sign-in.
 */
export function loginView({ note, onSignedIn }) {
  const pwForm = h('form', { id: 'login-form', autocomplete: 'on' },
    h('div', { class: 'fields' },
      field({ name: 'username', label: t('login.username'), required: true, autocomplete: 'username', id: 'login-username', hint: t('signin.username_hint'), attrs: { autocapitalize: 'off', spellcheck: 'false' } }),
      field({ name: 'password', label: t('login.password'), type: 'password', required: true, autocomplete: 'current-password', id: 'login-password' })),
    rememberBox('login-remember'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'login-submit', text: t('login.submit') })));
  onSubmit(pwForm, async (v) => {
    const remember = pwForm.elements.remember.checked;
    const res = await post('/auth/login', { username: v.username, password: pwForm.elements.password.value, remember, device_name: deviceName() });
    await onSignedIn(res, remember);
  });

  const sendBtn = h('button', { type: 'button', class: 'btn secondary', id: 'sms-send', text: t('signin.sms.send') });
  const smsForm = h('form', { id: 'sms-form', hidden: true },
    h('div', { class: 'fields' },
      field({ name: 'phone', label: t('signin.phone'), type: 'tel', required: true, autocomplete: 'tel', id: 'sms-phone', attrs: { inputmode: 'tel' } }),
      h('div', { class: 'row sms-code-row' },
        field({ name: 'code', label: t('signin.sms.code'), required: true, autocomplete: 'one-time-code', id: 'sms-code', attrs: { inputmode: 'numeric', maxlength: '6' } }),
        sendBtn)),
    h('p', { class: 'small muted', id: 'sms-status', role: 'status' }),
    rememberBox('sms-remember'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'sms-submit', text: t('login.submit') })));
  let timer = 0;
  const countdown = (s) => {
    clearInterval(timer);
    let left = s;
    const tick = () => {
      sendBtn.disabled = left > 0;
      sendBtn.textContent = left > 0 ? t('signin.sms.resend_in', { n: left }) : t('signin.sms.send');
      if (left-- <= 0) clearInterval(timer);
    };
    tick();
    timer = setInterval(tick, 1000);
  };
  sendBtn.addEventListener('click', () => {
    clearErrors(smsForm);
    busy(sendBtn, async () => {
      try {
        const res = await post('/auth/sms/send', { phone: smsForm.elements.phone.value });
        smsForm.querySelector('#sms-status').textContent = t('signin.sms.sent', { min: Math.round(res.expires_in_seconds / 60) });
        smsForm.elements.code.focus();
        return res.resend_after_seconds;
      } catch (err) {
        showErrors(smsForm, err);
        return err.status === 429 ? 0 : -1;
      }
    }).then((s) => { if (s > 0) countdown(s); });
  });
  onSubmit(smsForm, async (v) => {
    const remember = smsForm.elements.remember.checked;
    const res = await post('/auth/sms/login', { phone: v.phone, code: v.code, remember, device_name: deviceName() });
    clearInterval(timer);
    await onSignedIn(res, remember);
  });

  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const show = (which) => {
    pwForm.hidden = which !== 'password';
    smsForm.hidden = which !== 'sms';
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.tab === which));
  };
  for (const [id, key] of [['password', 'signin.tab.password'], ['sms', 'signin.tab.sms']]) {
    tabs.append(h('button', { type: 'button', role: 'tab', class: 'tab', id: 'login-tab-' + id, dataset: { tab: id }, text: t(key), on: { click: () => show(id) } }));
  }
  show('password');
  return h('div', { class: 'card login', id: 'login-card' },
    h('h1', { text: t('app.name') }),
    note ? h('div', { class: 'form-error', role: 'alert', text: note }) : null,
    tabs, pwForm, smsForm,
    h('p', { class: 'small muted', text: t('login.hint') }));
}

/** The page a letter's QR opens: the dwelling, then phone and password. */
export function activateView({ el, code, onSignedIn }) {
  const head = h('div', { id: 'activate-where', class: 'muted', text: t('common.loading') });
  const form = h('form', { id: 'activate-form', class: 'card login' },
    h('h1', { text: t('signin.activate.title') }),
    head,
    h('div', { class: 'fields' },
      field({ name: 'phone', label: t('signin.phone'), type: 'tel', required: true, autocomplete: 'tel', id: 'activate-phone', hint: t('signin.activate.phone_hint'), attrs: { inputmode: 'tel' } }),
      field({ name: 'password', label: t('signin.activate.password'), type: 'password', required: true, autocomplete: 'new-password', id: 'activate-password', hint: t('signin.activate.password_hint') })),
    rememberBox('activate-remember'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'activate-submit', text: t('signin.activate.submit') })));
  onSubmit(form, async (v) => {
    const remember = form.elements.remember.checked;
    const res = await post('/activate/' + encodeURIComponent(code), { phone: v.phone, password: form.elements.password.value, remember, device_name: deviceName() });
    toast(t('signin.activate.done'));
    await onSignedIn(res, remember);
  });
  fill(el, form);
  get('/activate/' + encodeURIComponent(code)).then((p) => {
    const hh = p.household;
    head.textContent = t('signin.activate.where', { community: p.community, dwelling: [hh.building, hh.unit, hh.room].join(' '), until: fmtTime(p.expires_at) });
  }).catch((err) => {
    head.replaceWith(h('div', { class: 'form-error', role: 'alert', id: 'activate-error', text: errorText(err) }));
    form.querySelector('#activate-submit').disabled = true;
  });
}

const methodKey = { password: 'signin.method.password', sms: 'signin.method.sms', activation: 'signin.method.activation' };

/** The caller's signed-in devices, each with a sign-out button. */
export async function devicesPanel(ctx) {
  const list = h('ul', { class: 'list devices', id: 'devices' });
  const load = async () => {
    const res = await get('/auth/devices');
    if (!ctx.alive()) return;
    fill(list, ...res.items.map((d) => {
      const out = d.current ? h('span', { class: 'badge active', text: t('signin.devices.this') })
        : h('button', { type: 'button', class: 'btn danger secondary small device-signout', text: t('signin.devices.signout'),
          on: { click: (e) => busy(e.currentTarget, async () => { await del('/auth/devices/' + d.id); await load(); toast(t('signin.devices.signed_out')); }).catch(toastError) } });
      return h('li', { class: 'device', dataset: { deviceId: d.id } },
        h('div', null, h('strong', { text: d.name || t('signin.devices.unnamed') }), ' ',
          d.remember ? h('span', { class: 'badge', text: t('signin.devices.remembered') }) : null),
        h('div', { class: 'small muted', text: t('signin.devices.detail', { method: t(methodKey[d.method] || 'signin.method.password'), used: fmtTime(d.last_used_at), until: fmtTime(d.expires_at) }) }),
        out);
    }));
  };
  fill(ctx.el, h('div', { class: 'grid grid-main' },
    h('section', { class: 'card' },
      h('h1', { text: t('signin.devices.title') }),
      h('p', { class: 'small muted', text: t('signin.devices.hint') }),
      list),
    passwordForm(load)));
  await load();
}

/**
 * Changing one's own password: the current one, the new one twice. Every
 * other device is signed out; this one keeps going with the new token the
 * answer carries (then onChanged runs).
 */
function passwordForm(onChanged) {
  const form = h('form', { class: 'card', id: 'password-form', autocomplete: 'on' },
    h('h2', { text: t('signin.password.title') }),
    h('div', { class: 'fields' },
      field({ name: 'current_password', label: t('signin.password.current'), type: 'password', required: true, autocomplete: 'current-password', id: 'password-current' }),
      field({ name: 'new_password', label: t('signin.password.new'), type: 'password', required: true, autocomplete: 'new-password', id: 'password-new', hint: t('signin.activate.password_hint') }),
      field({ name: 'new_password_again', label: t('signin.password.again'), type: 'password', required: true, autocomplete: 'new-password', id: 'password-again' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'password-submit', text: t('signin.password.submit') })));
  onSubmit(form, async () => {
    const el = form.elements;
    if (el.new_password.value !== el.new_password_again.value) {
      showErrors(form, { fields: { new_password_again: t('signin.password.mismatch') } });
      return;
    }
    const res = await post('/auth/password', { current_password: el.current_password.value, new_password: el.new_password.value });
    setToken(res.token, res.remember);
    form.reset();
    clearErrors(form);
    form.append(h('div', { class: 'form-ok', role: 'status', id: 'password-ok', text: t('signin.password.done') }));
    await onChanged();
  });
  return form;
}

/** Issues a resident's activation letter and shows it, ready to print. */
export async function printLetter(residentID) {
  const html = await api('POST', `/residents/${residentID}/activation-letters/print`);
  const frame = h('iframe', { id: 'letter-frame', title: t('signin.letter.title'), class: 'letter-frame' });
  frame.srcdoc = html;
  const close = () => dlg.remove();
  const dlg = h('div', { class: 'overlay', id: 'letter-dialog', role: 'dialog', 'aria-label': t('signin.letter.title') },
    h('div', { class: 'card' },
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', id: 'letter-print', text: t('signin.letter.print'), on: { click: () => frame.contentWindow.print() } }),
        h('button', { type: 'button', class: 'btn secondary', id: 'letter-close', text: t('common.close'), on: { click: close } })),
      h('p', { class: 'small muted', text: t('signin.letter.hint') }),
      frame));
  document.body.append(dlg);
}
