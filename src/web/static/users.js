// @ts-check
/* Users and tokens (admins): list, create users, create API tokens (shown once), revoke tokens, set passwords. */
(function () {
  'use strict';
  var B = window.Budstikke;
  var list = B.byId('user-list');

  function load() {
    return Promise.all([B.api('GET', '/api/users'), B.api('GET', '/api/tokens')]).then(function (res) {
      /** @type {{ id: number, name: string, email: string, role: string, disabled_at: string | null, member_number: string | null }[]} */
      var users = res[0];
      /** @type {{ id: number, staff_user_id: number, name: string, created_at: string, last_used_at: string | null, revoked_at: string | null }[]} */
      var tokens = res[1];
      list.innerHTML = '<div class="table-wrap"><table class="list" id="users-table"><caption class="sr-only">Brukere</caption><thead><tr><th scope="col">Navn</th><th scope="col">E-post</th><th scope="col">Rolle</th><th scope="col">API-nøkler</th><th scope="col">Handlinger</th></tr></thead><tbody>' +
        users.map(function (u) {
          var own = tokens.filter(function (t) { return t.staff_user_id === u.id; });
          var tk = own.length ? '<ul class="tokens">' + own.map(function (t) {
            return '<li>' + B.esc(t.name) + ' <span class="small muted">(laget ' + B.esc(B.dt(t.created_at)) + ', sist brukt ' + B.esc(B.dt(t.last_used_at)) + ')</span> ' +
              (t.revoked_at ? '<span class="badge withdrawn">Trukket tilbake</span>' : '<button type="button" class="link" data-revoke="' + t.id + '">Trekk tilbake <span class="sr-only">nøkkel ' + B.esc(t.name) + '</span></button>') + '</li>';
          }).join('') + '</ul>' : '<span class="muted">Ingen</span>';
          return '<tr><td>' + B.esc(u.name) + (u.disabled_at ? ' <span class="badge">Deaktivert</span>' : '') + '</td><td>' + B.esc(u.email) + '</td><td>' + B.esc(B.label('staffRole', u.role)) +
            (u.member_number ? '<br><span class="small muted">medlem ' + B.esc(u.member_number) + '</span>' : '') + '</td><td>' + tk + '</td><td>' +
            '<button type="button" data-token="' + u.id + '">Ny API-nøkkel <span class="sr-only">for ' + B.esc(u.name) + '</span></button> ' +
            '<button type="button" data-password="' + u.id + '">Sett passord <span class="sr-only">for ' + B.esc(u.name) + '</span></button></td></tr>';
        }).join('') + '</tbody></table></div><div id="user-action" aria-live="polite"></div>';
    }).catch(function (err) { B.showError(list, err); });
  }

  list.addEventListener('click', function (e) {
    var t = B.closest(e, 'button');
    if (!t) return;
    var out = B.byId('user-action');
    /** @param {unknown} err */
    function fail(err) { B.showError(out, err); }
    if (t.dataset.token) {
      var name = window.prompt('Navn på nøkkelen (hva den brukes til):', 'integrasjon');
      if (!name) return;
      B.api('POST', '/api/users/' + t.dataset.token + '/tokens', { name: name }).then(function (r) {
        return load().then(function () {
          var o = B.byId('user-action');
          o.className = 'ok';
          o.innerHTML = 'Ny nøkkel – kopier den nå, den vises bare én gang:<br><code id="new-token">' + B.esc(r.token) + '</code>';
        });
      }).catch(fail);
    } else if (t.dataset.revoke) {
      if (!window.confirm('Trekke tilbake nøkkelen? Systemer som bruker den, mister tilgang.')) return;
      B.api('DELETE', '/api/tokens/' + t.dataset.revoke).then(load).catch(fail);
    } else if (t.dataset.password) {
      var pw = window.prompt('Nytt passord (minst 12 tegn). Brukerens økter avsluttes.');
      if (!pw) return;
      B.api('PUT', '/api/users/' + t.dataset.password + '/password', { password: pw }).then(function () {
        out.className = 'ok'; out.textContent = 'Passordet er satt.';
      }).catch(fail);
    }
  });

  var form = B.byId('user-form', HTMLFormElement);
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var out = B.byId('user-form-result');
    /** @type {{ name: string, email: string, role: string, memberNumber?: string }} */
    var body = { name: B.q(form, '#u-name', HTMLInputElement).value, email: B.q(form, '#u-email', HTMLInputElement).value, role: B.q(form, '#u-role', HTMLSelectElement).value };
    var mn = B.q(form, '#u-member', HTMLInputElement).value.trim();
    if (mn) body.memberNumber = mn;
    B.api('POST', '/api/users', body).then(function (u) {
      out.className = 'ok'; out.textContent = 'Opprettet ' + u.name + '. Sett et passord for å gi tilgang til nettsidene.';
      form.reset();
      return load();
    }).catch(function (err) { B.showError(out, err); });
  });
  load();
})();
