// @ts-check
/* Ballots: create, freeze the roll, export it (admins, OpenPGP), notification status, result, cancel. */
(function () {
  'use strict';
  var B = window.Budstikke;
  var list = B.byId('ballot-list');
  var role = list.dataset.role;

  /** @param {any} b a ballot from GET /api/ballots @returns {string} */
  function card(b) {
    var id = 'ballot-' + b.id;
    var roll = b.roll.frozenAt
      ? 'Frosset ' + B.dt(b.roll.frozenAt) + ' (skjæringstid ' + B.dt(b.roll.cutoffAt) + '): <strong>' + B.num(b.roll.size) + '</strong> stemmeberettigede, ' + b.roll.exports + ' eksport(er)'
      : 'Ikke frosset ennå';
    var notes = b.notifications.map(function (/** @type {any} */ n) {
      return '<tr><td>' + B.esc(B.label('ballotNoticeKind', n.kind)) + (n.offsetBeforeClose ? ' (' + B.esc(n.offsetBeforeClose) + ' før)' : '') + '</td><td>' + B.esc(B.dt(n.dueAt)) +
        '</td><td>' + B.esc(B.label('ballotNoticeState', n.state)) + '</td><td>' + B.esc(n.channels.map(function (/** @type {string} */ c) { return B.label('channel', c); }).join(' → ')) +
        (n.note ? '<br><span class="small muted">' + B.esc(n.note) + '</span>' : '') + '</td><td>' +
        (n.campaignId ? '<a href="/app/campaigns/' + n.campaignId + '">Kampanje ' + n.campaignId + '</a>' : '–') + '</td></tr>';
    }).join('');
    var live = b.state === 'draft' || b.state === 'open';
    return '<section class="card" id="' + id + '" aria-labelledby="' + id + '-h"><h2 id="' + id + '-h">' + B.esc(b.title) + ' <span class="badge">' + B.esc(B.label('ballotState', b.state)) + '</span></h2>' +
      '<dl class="facts"><div><dt>Tariffavtaler</dt><dd>' + B.esc(b.agreements.map(function (/** @type {{ name: string, code: string }} */ a) { return a.name + ' (' + a.code + ')'; }).join(', ')) + '</dd></div>' +
      '<div><dt>Åpner</dt><dd>' + B.esc(B.dt(b.opensAt)) + '</dd></div><div><dt>Stenger</dt><dd>' + B.esc(B.dt(b.closesAt)) + '</dd></div>' +
      '<div><dt>Manntall</dt><dd>' + roll + '</dd></div>' + (b.result ? '<div><dt>Resultat</dt><dd>' + B.esc(b.result.text) + '</dd></div>' : '') + '</dl>' +
      '<h3>Varsler</h3><div class="table-wrap"><table class="list"><caption class="sr-only">Varsler for ' + B.esc(b.title) + '</caption><thead><tr><th scope="col">Varsel</th><th scope="col">Tidspunkt</th><th scope="col">Status</th><th scope="col">Kanaler</th><th scope="col">Utsending</th></tr></thead><tbody>' + notes + '</tbody></table></div>' +
      '<div class="actions">' +
      (live ? '<button type="button" data-act="freeze" data-id="' + b.id + '">Frys manntall nå</button>' : '') +
      (role === 'admin' && b.roll.frozenAt ? '<button type="button" data-act="export" data-id="' + b.id + '">Eksporter manntall (kryptert)</button>' : '') +
      (b.state === 'closed' && !b.result ? '<button type="button" data-act="result" data-id="' + b.id + '">Legg inn resultat</button>' : '') +
      (live ? '<button type="button" class="danger" data-act="cancel" data-id="' + b.id + '">Avlys</button>' : '') +
      '</div><div class="export-form" hidden></div><p role="status" class="ballot-status"></p></section>';
  }

  function load() {
    return B.api('GET', '/api/ballots').then(function (r) {
      list.innerHTML = r.ballots.length ? r.ballots.map(card).join('') : '<p class="muted">Ingen uravstemninger ennå.</p>';
    }).catch(function (err) { B.showError(list, err); });
  }

  /** @param {string} filename @param {string} text @param {string} type */
  function download(filename, text, type) {
    var a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: type }));
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  list.addEventListener('click', function (e) {
    var btn = B.closest(e, 'button[data-act]');
    if (!btn) return;
    var id = btn.dataset.id;
    var section = /** @type {HTMLElement} */ (btn.closest('section'));
    var status = B.q(section, '.ballot-status');
    /** @param {unknown} err */
    function fail(err) { status.className = 'error ballot-status'; status.textContent = B.problemText(err); }
    if (btn.dataset.act === 'freeze') {
      B.api('POST', '/api/ballots/' + id + '/roll', {}).then(function (r) {
        return load().then(function () { var s = B.q(document, '#ballot-' + id + ' .ballot-status'); s.className = 'ok ballot-status'; s.textContent = 'Manntallet er frosset: ' + B.num(r.size) + ' stemmeberettigede.'; });
      }).catch(fail);
    } else if (btn.dataset.act === 'cancel') {
      if (!window.confirm('Avlyse uravstemningen? Varsler som ikke er sendt, blir stoppet.')) return;
      B.api('POST', '/api/ballots/' + id + '/cancel', {}).then(load).catch(fail);
    } else if (btn.dataset.act === 'result') {
      var text = window.prompt('Resultatet slik det skal sendes til medlemmene:');
      if (text) B.api('POST', '/api/ballots/' + id + '/result', { text: text }).then(load).catch(fail);
    } else if (btn.dataset.act === 'export') {
      var f = B.q(section, '.export-form');
      f.hidden = false;
      f.innerHTML = '<form class="stack"><fieldset><legend>Felter i tillegg til medlemsnummer og navn</legend>' +
        ['email', 'phone', 'address'].map(function (k) {
          var lbl = /** @type {Record<string, string>} */ ({ email: 'E-post', phone: 'Mobil', address: 'Adresse' })[k];
          return '<div class="check"><input type="checkbox" id="x-' + id + '-' + k + '" value="' + k + '"> <label for="x-' + id + '-' + k + '">' + lbl + '</label></div>';
        }).join('') + '</fieldset><div class="field"><label for="x-' + id + '-key">Leverandørens offentlige OpenPGP-nøkkel (tom: nøkkelen lagret på avstemningen)</label><textarea id="x-' + id + '-key"></textarea></div>' +
        '<button type="submit" class="primary">Last ned kryptert manntall</button></form>';
      B.q(f, 'form', HTMLFormElement).addEventListener('submit', function (ev) {
        ev.preventDefault();
        var fields = Array.from(f.querySelectorAll('input[type=checkbox]:checked'), function (c) { return /** @type {HTMLInputElement} */ (c).value; });
        var key = B.q(f, 'textarea', HTMLTextAreaElement).value.trim();
        fetch('/api/ballots/' + id + '/roll/exports', {
          method: 'POST', credentials: 'same-origin',
          headers: { 'content-type': 'application/json', 'x-csrf-token': B.csrf },
          body: JSON.stringify(key ? { fields: fields, publicKey: key } : { fields: fields }),
        }).then(function (res) {
          if (!res.ok) return res.json().then(function (p) { throw { message: p.detail || p.title, problem: p }; });
          var name = (/filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '') || [])[1] || 'manntall.csv.asc';
          var rows = res.headers.get('x-row-count');
          return res.text().then(function (t) {
            download(name, t, 'application/pgp-encrypted');
            status.className = 'ok ballot-status';
            status.textContent = 'Eksportert ' + rows + ' rader, kryptert til nøkkel ' + res.headers.get('x-key-fingerprint') + '.';
            f.hidden = true;
          });
        }).catch(fail);
      });
    }
  });

  var formEl = document.getElementById('ballot-form');
  if (formEl instanceof HTMLFormElement) {
    var form = formEl;
    var sel = B.byId('b-agreements', HTMLSelectElement);
    B.loadReference(sel, 'agreements');
    /** @param {string} s */
    var value = function (s) { return B.q(form, s, HTMLInputElement).value; };
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var out = B.byId('ballot-form-result');
      B.api('POST', '/api/ballots', {
        title: value('#b-title'),
        agreements: Array.from(sel.selectedOptions, function (o) { return o.value; }),
        opensAt: value('#b-opens'),
        closesAt: value('#b-closes'),
        votingUrl: value('#b-url'),
      }).then(function (b) {
        out.className = 'ok'; out.textContent = 'Opprettet «' + b.title + '». Varslene er planlagt.';
        form.reset();
        return load();
      }).catch(function (err) { B.showError(out, err); });
    });
  }
  load();
})();
