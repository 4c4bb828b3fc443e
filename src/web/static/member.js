// @ts-check
/*
 * Member page: current consents (with a change on the member's behalf), the communication
 * history as one timeline (send-log rows and consent ledger events, newest first), and for
 * admins the erasure form, which stays disabled until the member number or full name is typed.
 */
(function () {
  'use strict';
  var B = window.Budstikke;
  var consentsEl = document.getElementById('consents');
  if (!consentsEl) return;
  var num = consentsEl.dataset.member || '';
  var canChange = consentsEl.dataset.canChange === '1';
  var consents = consentsEl;
  var commEl = B.byId('communications');

  /** @typedef {{ category: string, channel: string, declinable: boolean, granted: boolean, isDefault: boolean, reachable: boolean, unreachableReason: string | null }} Consent */
  /** @typedef {{ id: number, category: string | null, channel: string | null, granted: boolean, source: string, reason: string | null, at: string }} ConsentEvent */
  /** @typedef {{ current: Consent[], history: ConsentEvent[], suppressions?: { channel: string, reason: string, at: string }[] }} ConsentData */
  /**
   * @typedef {{ id: number, campaignId: number | null, campaign: string, category: string, channel: string, state: string,
   *   reason: string | null, sentAt: string | null, createdAt: string, fallbackFrom: string | null }} Communication
   */

  /** Category names by code, embedded by the page (src/web/pages/members.ts). @type {Record<string, string>} */
  var categoryNames = {};
  var namesEl = document.getElementById('category-names');
  try { categoryNames = namesEl ? JSON.parse(namesEl.textContent || '{}') : {}; } catch (_e) { categoryNames = {}; }

  /** @param {string | null} code */
  function catName(code) { return code ? categoryNames[code] || code : 'Alle som kan reserveres mot'; }
  /** A reason label inside parentheses reads as part of the sentence: "Hoppet over (mangler adresse)". @param {string | null} reason */
  function reasonText(reason) {
    if (!reason) return '';
    var t = B.label('sendReason', reason);
    return /^[A-ZÆØÅ][a-zæøå]/.test(t) ? t.charAt(0).toLowerCase() + t.slice(1) : t;
  }

  /** @param {ConsentData} data */
  function renderConsents(data) {
    /** @type {Record<string, Record<string, Consent>>} */
    var byCat = {};
    /** @type {string[]} */
    var order = [];
    data.current.forEach(function (c) {
      if (!byCat[c.category]) { byCat[c.category] = {}; order.push(c.category); }
      byCat[c.category][c.channel] = c;
    });
    /** @param {Consent | undefined} c */
    function cell(c) {
      if (!c) return '<td class="muted">–</td>';
      var state = !c.declinable ? '<span class="badge">Medlemsforholdet</span>'
        : c.granted ? '<span class="badge granted">Ja' + (c.isDefault ? ' (standard)' : '') + '</span>'
          : '<span class="badge withdrawn">Nei' + (c.isDefault ? ' (standard)' : '') + '</span>';
      var reach = c.reachable ? '' : '<br><span class="small muted">Nås ikke: ' + B.esc(reasonText(c.unreachableReason)) + '</span>';
      return '<td>' + state + reach + '</td>';
    }
    var rows = order.map(function (cat) {
      return '<tr><th scope="row">' + B.esc(catName(cat)) + '</th>' + ['email', 'sms', 'letter'].map(function (ch) { return cell(byCat[cat][ch]); }).join('') + '</tr>';
    }).join('');
    var sup = (data.suppressions || []).map(function (s) {
      return '<li>' + B.esc(B.label('channel', s.channel)) + ': ' + B.esc(B.label('sendReason', s.reason)) + ' (' + B.esc(B.dt(s.at)) + ')</li>';
    }).join('');
    consents.innerHTML = '<div class="table-wrap" tabindex="0" role="region" aria-label="Gjeldende samtykker"><table class="list" id="consent-table"><caption class="sr-only">Gjeldende samtykker</caption>' +
      '<thead><tr><th scope="col">Kategori</th><th scope="col">E-post</th><th scope="col">SMS</th><th scope="col">Brev</th></tr></thead><tbody>' + rows + '</tbody></table></div>' +
      (sup ? '<h3>Sperrede adresser</h3><ul>' + sup + '</ul>' : '') +
      (canChange ? changeForm(data) : '');
    if (canChange) wireChangeForm();
  }

  /** @param {ConsentData} data */
  function changeForm(data) {
    /** @type {Record<string, boolean>} */
    var cats = {};
    data.current.forEach(function (c) { if (c.declinable) cats[c.category] = true; });
    var opts = Object.keys(cats).map(function (c) { return '<option value="' + B.esc(c) + '">' + B.esc(catName(c)) + '</option>'; }).join('');
    var channels = ['email', 'sms', 'letter'].map(function (ch) { return '<option value="' + ch + '">' + B.esc(B.label('channel', ch)) + '</option>'; }).join('');
    return '<details class="change"><summary>Registrer endring på vegne av medlemmet</summary><form id="consent-change" class="stack">' +
      '<div class="field"><label for="cc-category">Kategori</label><select id="cc-category"><option value="">Alle som kan reserveres mot</option>' + opts + '</select></div>' +
      '<div class="field"><label for="cc-channel">Kanal</label><select id="cc-channel"><option value="">Alle</option>' + channels + '</select></div>' +
      '<div class="field"><label for="cc-granted">Endring</label><select id="cc-granted"><option value="false">Reserver</option><option value="true">Samtykk</option></select></div>' +
      '<div class="field"><label for="cc-reason">Begrunnelse (telefon, brev …)</label><input id="cc-reason" required minlength="3"></div>' +
      '<button type="submit" class="primary">Lagre endring</button><p id="cc-result" role="status"></p></form></details>';
  }

  function wireChangeForm() {
    var f = B.byId('consent-change', HTMLFormElement);
    f.addEventListener('submit', function (e) {
      e.preventDefault();
      var out = B.byId('cc-result');
      B.api('POST', '/api/members/' + encodeURIComponent(num) + '/consents', {
        category: B.q(f, '#cc-category', HTMLSelectElement).value || null,
        channel: B.q(f, '#cc-channel', HTMLSelectElement).value || null,
        granted: B.q(f, '#cc-granted', HTMLSelectElement).value === 'true',
        reason: B.q(f, '#cc-reason', HTMLInputElement).value,
      }).then(function () { out.className = 'ok'; out.textContent = 'Lagret.'; return load(); })
        .catch(function (err) { B.showError(out, err); });
    });
  }

  /** A send-log row as a timeline row: time, campaign, category, channel, outcome. @param {Communication} m */
  function messageRow(m) {
    var name = m.campaignId ? '<a href="/app/campaigns/' + encodeURIComponent(m.campaignId) + '">' + B.esc(m.campaign) + '</a>' : B.esc(m.campaign);
    var reason = m.reason ? ' (' + reasonText(m.reason) + ')' : '';
    var fallback = m.fallbackFrom ? ' · i stedet for ' + B.label('channel', m.fallbackFrom) : '';
    var when = m.sentAt ? B.dt(m.sentAt) : 'Ikke sendt (' + B.dt(m.createdAt) + ')';
    return '<tr data-kind="message" data-campaign="' + B.esc(m.campaignId) + '"><td>' + B.esc(when) + '</td><td>' + name + '</td><td>' +
      B.esc(catName(m.category)) + '</td><td>' + B.esc(B.label('channel', m.channel) + fallback) + '</td><td>' + B.esc(B.label('sendState', m.state) + reason) + '</td></tr>';
  }

  /** A consent ledger event as a timeline row. @param {ConsentEvent} h */
  function consentRow(h) {
    var what = (h.granted ? 'Samtykke' : 'Reservasjon') + ' via ' + B.label('consentSource', h.source).toLowerCase();
    return '<tr data-kind="consent"><td>' + B.esc(B.dt(h.at)) + '</td><td>' + B.esc(what) + (h.reason ? '<br><span class="small muted">' + B.esc(h.reason) + '</span>' : '') +
      '</td><td>' + B.esc(catName(h.category)) + '</td><td>' + B.esc(h.channel ? B.label('channel', h.channel) : 'Alle kanaler') +
      '</td><td>' + (h.granted ? 'Samtykket' : 'Reservert') + '</td></tr>';
  }

  /** @param {Communication[]} messages @param {ConsentEvent[]} events */
  function renderTimeline(messages, events) {
    /** @type {{ at: number, html: string }[]} */
    var items = messages.map(function (m) { return { at: new Date(m.sentAt || m.createdAt).getTime(), html: messageRow(m) }; })
      .concat(events.map(function (h) { return { at: new Date(h.at).getTime(), html: consentRow(h) }; }));
    if (!items.length) { commEl.innerHTML = '<p class="muted">Ingen meldinger sendt og ingen endringer i samtykker. Standardvalgene gjelder.</p>'; return; }
    items.sort(function (a, b) { return b.at - a.at; });
    commEl.innerHTML = '<div class="table-wrap" tabindex="0" role="region" aria-label="Kommunikasjonshistorikk"><table class="list timeline" id="comm-table"><caption class="sr-only">Kommunikasjonshistorikk, nyeste først</caption><thead><tr>' +
      '<th scope="col">Tid</th><th scope="col">Hva</th><th scope="col">Kategori</th><th scope="col">Kanal</th><th scope="col">Utfall</th></tr></thead><tbody>' +
      items.map(function (i) { return i.html; }).join('') + '</tbody></table></div>';
  }

  /** @type {ConsentEvent[]} */
  var events = [];
  /** @type {Communication[] | null} */
  var messages = null;

  function load() {
    return B.api('GET', '/api/members/' + encodeURIComponent(num) + '/consents').then(function (/** @type {ConsentData} */ data) {
      renderConsents(data);
      events = data.history;
      if (messages) renderTimeline(messages, events);
    }).catch(function (err) {
      consents.innerHTML = '<p class="warn">Samtykker kan ikke vises: ' + B.esc(B.problemText(err)) + '</p>';
    });
  }

  load().then(function () {
    return B.api('GET', '/api/members/' + encodeURIComponent(num) + '/communications').then(function (/** @type {{ communications: Communication[] }} */ r) {
      messages = r.communications;
      renderTimeline(messages, events);
    });
  }).catch(function (err) {
    commEl.innerHTML = '<p class="warn">Kommunikasjonshistorikken kan ikke vises: ' + B.esc(B.problemText(err)) + '</p>';
  });

  // Erasure (admins): the button stays disabled until the member number or the full name is typed.
  var eraseForm = document.getElementById('erase-form');
  if (eraseForm instanceof HTMLFormElement) {
    var form = eraseForm;
    var confirmInput = B.q(form, '#erase-confirm', HTMLInputElement);
    var submit = B.q(form, '#erase-submit', HTMLButtonElement);
    var out = B.q(form, '#erase-result');
    var norm = function (/** @type {string} */ s) { return s.trim().replace(/\s+/g, ' ').toLocaleLowerCase('nb'); };
    var matches = function () {
      var typed = norm(confirmInput.value);
      return typed !== '' && (typed === norm(form.dataset.memberNumber || '') || typed === norm(form.dataset.memberName || ''));
    };
    confirmInput.addEventListener('input', function () { submit.disabled = !matches(); });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!matches() || submit.disabled) return;
      submit.disabled = true;
      B.api('POST', '/api/members/' + encodeURIComponent(num) + '/erase', { reason: B.q(form, '#erase-reason', HTMLTextAreaElement).value })
        .then(function (/** @type {{ sendLogAnonymised: number, consentEventsAnonymised: number }} */ r) {
          var section = /** @type {HTMLElement} */ (form.closest('section'));
          section.innerHTML = '<h2 id="h-privacy">Medlemmet er slettet</h2><p class="ok" role="status" id="erase-done">Personopplysningene om medlem ' + B.esc(num) +
            ' er slettet. ' + B.num(r.sendLogAnonymised) + ' utsendinger og ' + B.num(r.consentEventsAnonymised) + ' samtykkehendelser er beholdt uten navn for statistikken.</p>' +
            '<p><a href="/app/members">Til medlemslisten</a></p>';
        })
        .catch(function (err) { B.showError(out, err); submit.disabled = !matches(); });
    });
  }
})();
