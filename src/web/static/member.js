/* Member page: current consents, consent history, communication history (from the JSON API). */
(function () {
  'use strict';
  var B = window.Budstikke;
  var consentsEl = document.getElementById('consents');
  if (!consentsEl) return;
  var num = consentsEl.dataset.member;
  var canChange = consentsEl.dataset.canChange === '1';
  var historyEl = document.getElementById('consent-history');
  var commEl = document.getElementById('communications');
  var categoryNames = {};

  var REASON = {
    no_address: 'mangler adresse', suppressed: 'adressen er sperret', opted_out: 'reservert', no_consent: 'ikke samtykket',
    channel_not_allowed: 'kanalen brukes ikke', inactive: 'ikke aktivt medlem', unknown_member: 'ukjent medlem',
    campaign_cancelled: 'kampanjen ble avbrutt', unreachable: 'kan ikke nås',
  };

  function catName(code) { return categoryNames[code] || code || 'alle som kan reserveres mot'; }

  function renderConsents(data) {
    var byCat = {};
    var order = [];
    data.current.forEach(function (c) {
      if (!byCat[c.category]) { byCat[c.category] = {}; order.push(c.category); }
      byCat[c.category][c.channel] = c;
    });
    function cell(c) {
      if (!c) return '<td class="muted">–</td>';
      var state = !c.declinable ? '<span class="badge">Medlemsforholdet</span>'
        : c.granted ? '<span class="badge granted">Ja' + (c.isDefault ? ' (standard)' : '') + '</span>'
          : '<span class="badge withdrawn">Nei' + (c.isDefault ? ' (standard)' : '') + '</span>';
      var reach = c.reachable ? '' : '<br><span class="small muted">Nås ikke: ' + B.esc(REASON[c.unreachableReason] || c.unreachableReason || '') + '</span>';
      return '<td>' + state + reach + '</td>';
    }
    var rows = order.map(function (cat) {
      return '<tr><th scope="row">' + B.esc(catName(cat)) + '</th>' + ['email', 'sms', 'letter'].map(function (ch) { return cell(byCat[cat][ch]); }).join('') + '</tr>';
    }).join('');
    var sup = (data.suppressions || []).map(function (s) {
      return '<li>' + B.esc(B.label('channel', s.channel)) + ': ' + B.esc(s.reason) + ' (' + B.esc(B.dt(s.at)) + ')</li>';
    }).join('');
    consentsEl.innerHTML = '<div class="table-wrap" tabindex="0" role="region" aria-label="Gjeldende samtykker"><table class="list" id="consent-table"><caption class="sr-only">Gjeldende samtykker</caption>' +
      '<thead><tr><th scope="col">Kategori</th><th scope="col">E-post</th><th scope="col">SMS</th><th scope="col">Brev</th></tr></thead><tbody>' + rows + '</tbody></table></div>' +
      (sup ? '<h3>Sperrede adresser</h3><ul>' + sup + '</ul>' : '') +
      (canChange ? changeForm(data) : '');
    if (canChange) wireChangeForm();

    historyEl.innerHTML = data.history.length === 0 ? '<p class="muted">Ingen endringer registrert. Standardvalgene gjelder.</p>' :
      '<div class="table-wrap" tabindex="0" role="region" aria-label="Endringslogg"><table class="list"><caption class="sr-only">Endringslogg</caption><thead><tr><th scope="col">Tid</th><th scope="col">Kategori</th><th scope="col">Kanal</th><th scope="col">Endring</th><th scope="col">Hvordan</th><th scope="col">Begrunnelse</th></tr></thead><tbody>' +
      data.history.map(function (h) {
        return '<tr><td>' + B.esc(B.dt(h.at)) + '</td><td>' + B.esc(catName(h.category)) + '</td><td>' + B.esc(h.channel ? B.label('channel', h.channel) : 'alle') +
          '</td><td>' + (h.granted ? 'Samtykket' : 'Reservert') + '</td><td>' + B.esc(B.label('source', h.source)) + '</td><td>' + B.esc(h.reason || '') + '</td></tr>';
      }).join('') + '</tbody></table></div>';
  }

  function changeForm(data) {
    var cats = {};
    data.current.forEach(function (c) { if (c.declinable) cats[c.category] = true; });
    var opts = Object.keys(cats).map(function (c) { return '<option value="' + B.esc(c) + '">' + B.esc(catName(c)) + '</option>'; }).join('');
    return '<details class="change"><summary>Registrer endring på vegne av medlemmet</summary><form id="consent-change" class="stack">' +
      '<div class="field"><label for="cc-category">Kategori</label><select id="cc-category"><option value="">Alle som kan reserveres mot</option>' + opts + '</select></div>' +
      '<div class="field"><label for="cc-channel">Kanal</label><select id="cc-channel"><option value="">Alle</option><option value="email">E-post</option><option value="sms">SMS</option><option value="letter">Brev</option></select></div>' +
      '<div class="field"><label for="cc-granted">Endring</label><select id="cc-granted"><option value="false">Reserver</option><option value="true">Samtykk</option></select></div>' +
      '<div class="field"><label for="cc-reason">Begrunnelse (telefon, brev …)</label><input id="cc-reason" required minlength="3"></div>' +
      '<button type="submit" class="primary">Lagre endring</button><p id="cc-result" role="status"></p></form></details>';
  }

  function wireChangeForm() {
    var f = document.getElementById('consent-change');
    f.addEventListener('submit', function (e) {
      e.preventDefault();
      var out = document.getElementById('cc-result');
      B.api('POST', '/api/members/' + encodeURIComponent(num) + '/consents', {
        category: f.querySelector('#cc-category').value || null,
        channel: f.querySelector('#cc-channel').value || null,
        granted: f.querySelector('#cc-granted').value === 'true',
        reason: f.querySelector('#cc-reason').value,
      }).then(function () { out.className = 'ok'; out.textContent = 'Lagret.'; return load(); })
        .catch(function (err) { B.showError(out, err); });
    });
  }

  function renderComms(data) {
    var items = Array.isArray(data) ? data : (data.communications || data.messages || data.items || []);
    if (!items.length) { commEl.innerHTML = '<p class="muted">Ingen meldinger sendt.</p>'; return; }
    commEl.innerHTML = '<div class="table-wrap" tabindex="0" role="region" aria-label="Meldinger sendt til medlemmet"><table class="list" id="comm-table"><caption class="sr-only">Meldinger sendt til medlemmet</caption><thead><tr>' +
      '<th scope="col">Sendt</th><th scope="col">Kampanje</th><th scope="col">Kategori</th><th scope="col">Kanal</th><th scope="col">Utfall</th></tr></thead><tbody>' +
      items.map(function (m) {
        // GET /api/members/:n/communications: campaign is the campaign's name, sentAt null until it left.
        var campaign = typeof m.campaign === 'string' ? m.campaign : (m.campaign && m.campaign.name) || m.campaignName || (m.campaignId ? 'Kampanje ' + m.campaignId : '');
        var name = m.campaignId ? '<a href="/app/campaigns/' + encodeURIComponent(m.campaignId) + '">' + B.esc(campaign) + '</a>' : B.esc(campaign);
        var reason = m.reason ? ' (' + (REASON[m.reason] || m.reason) + ')' : '';
        var fallback = m.fallbackFrom ? ' · i stedet for ' + B.label('channel', m.fallbackFrom) : '';
        var when = m.sentAt ? B.dt(m.sentAt) : 'Ikke sendt (' + B.dt(m.createdAt) + ')';
        return '<tr data-campaign="' + B.esc(m.campaignId) + '"><td>' + B.esc(when) + '</td><td>' + name + '</td><td>' +
          B.esc(catName(m.category)) + '</td><td>' + B.esc(B.label('channel', m.channel) + fallback) + '</td><td>' + B.esc(B.label('state', m.state) + reason) + '</td></tr>';
      }).join('') + '</tbody></table></div>';
  }

  function load() {
    return B.api('GET', '/api/members/' + encodeURIComponent(num) + '/consents').then(renderConsents).catch(function (err) {
      consentsEl.innerHTML = '<p class="warn">Samtykker kan ikke vises: ' + B.esc(err.message) + '</p>';
      historyEl.innerHTML = '';
    });
  }

  B.api('GET', '/api/categories').then(function (r) {
    (r.categories || r || []).forEach(function (c) { categoryNames[c.code] = c.nameNb || c.name_nb || c.code; });
  }).catch(function () { /* names fall back to codes */ }).then(function () {
    load();
    B.api('GET', '/api/members/' + encodeURIComponent(num) + '/communications').then(renderComms).catch(function (err) {
      commEl.innerHTML = '<p class="warn">Kommunikasjonshistorikken kan ikke vises: ' + B.esc(err.message) + '</p>';
    });
  });
})();
