// @ts-check
/*
 * Users and tokens (admins): list and create users, create API tokens (shown once), revoke tokens,
 * set passwords; and per user (the "Behandle" panel): disable or enable, change role, list and end
 * web sessions, revoke all tokens, reset two-factor sign-in. Every change goes through /api.
 */
(function () {
  'use strict';
  var B = window.Budstikke;
  var list = B.byId('user-list');
  var panel = B.byId('user-panel');
  var ROLES = ['admin', 'communications', 'representative', 'auditor', 'strike_committee'];

  /**
   * @typedef {{ id: number, name: string, email: string, role: string, disabled_at: string | null, member_number: string | null, two_factor: boolean }} User
   * @typedef {{ id: number, staff_user_id: number, name: string, created_at: string, last_used_at: string | null, revoked_at: string | null }} Token
   * @typedef {{ id: number, created_at: string, last_seen_at: string, expires_at: string, user_agent: string | null }} WebSession
   */

  /** @type {User[]} */
  var users = [];
  /** @type {number | null} */
  var openId = null;

  /** @param {number} id @returns {User | undefined} */
  function byUserId(id) {
    return users.filter(function (u) { return u.id === id; })[0];
  }

  /** @param {Token[]} own */
  function tokenList(own) {
    if (!own.length) return '<span class="muted">Ingen</span>';
    return '<ul class="tokens">' + own.map(function (t) {
      return '<li>' + B.esc(t.name) + ' <span class="small muted">(laget ' + B.esc(B.dt(t.created_at)) + ', sist brukt ' + B.esc(B.dt(t.last_used_at)) + ')</span> ' +
        (t.revoked_at ? '<span class="badge withdrawn">Trukket tilbake</span>'
          : '<button type="button" class="link" data-revoke="' + t.id + '">Trekk tilbake <span class="sr-only">nøkkel ' + B.esc(t.name) + '</span></button>') + '</li>';
    }).join('') + '</ul>';
  }

  /** @param {User} u @param {Token[]} tokens */
  function row(u, tokens) {
    var own = tokens.filter(function (t) { return t.staff_user_id === u.id; });
    return '<tr data-user="' + u.id + '"><td>' + B.esc(u.name) + (u.disabled_at ? ' <span class="badge withdrawn">Deaktivert</span>' : '') + '</td>' +
      '<td>' + B.esc(u.email) + '</td>' +
      '<td>' + B.esc(B.label('staffRole', u.role)) + (u.member_number ? '<br><span class="small muted">medlem ' + B.esc(u.member_number) + '</span>' : '') + '</td>' +
      '<td>' + (u.two_factor ? '<span class="badge granted">På</span>' : '<span class="badge">Av</span>') + '</td>' +
      '<td>' + tokenList(own) + '</td>' +
      '<td><button type="button" data-token="' + u.id + '">Ny API-nøkkel <span class="sr-only">for ' + B.esc(u.name) + '</span></button> ' +
      '<button type="button" data-password="' + u.id + '">Sett passord <span class="sr-only">for ' + B.esc(u.name) + '</span></button> ' +
      '<button type="button" data-manage="' + u.id + '" aria-controls="user-panel">Behandle <span class="sr-only">' + B.esc(u.name) + '</span></button></td></tr>';
  }

  /** @returns {Promise<void>} */
  function load() {
    return Promise.all([B.api('GET', '/api/users'), B.api('GET', '/api/tokens')]).then(function (res) {
      users = res[0];
      /** @type {Token[]} */
      var tokens = res[1];
      list.innerHTML = '<div class="table-wrap"><table class="list" id="users-table"><caption class="sr-only">Brukere</caption><thead><tr>' +
        '<th scope="col">Navn</th><th scope="col">E-post</th><th scope="col">Rolle</th><th scope="col">Tofaktor</th><th scope="col">API-nøkler</th><th scope="col">Handlinger</th>' +
        '</tr></thead><tbody>' + users.map(function (u) { return row(u, tokens); }).join('') + '</tbody></table></div><div id="user-action" aria-live="polite"></div>';
      if (openId !== null) return showPanel(openId, false);
      return undefined;
    }).catch(function (err) { B.showError(list, err); });
  }

  /** @param {string} current */
  function roleOptions(current) {
    return ROLES.map(function (r) {
      return '<option value="' + r + '"' + (r === current ? ' selected' : '') + '>' + B.esc(B.label('staffRole', r)) + '</option>';
    }).join('');
  }

  /** @param {WebSession[]} items */
  function sessionList(items) {
    if (!items.length) return '<p class="muted" id="session-list">Ingen åpne økter.</p>';
    return '<div class="table-wrap"><table class="list" id="session-list"><caption class="sr-only">Åpne økter</caption><thead><tr>' +
      '<th scope="col">Startet</th><th scope="col">Sist brukt</th><th scope="col">Nettleser</th><th scope="col">Handling</th></tr></thead><tbody>' +
      items.map(function (s) {
        return '<tr><td>' + B.esc(B.dt(s.created_at)) + '</td><td>' + B.esc(B.dt(s.last_seen_at)) + '</td><td class="small">' + B.esc(s.user_agent || '–') + '</td>' +
          '<td><button type="button" class="link" data-end-session="' + s.id + '">Avslutt <span class="sr-only">økten startet ' + B.esc(B.dt(s.created_at)) + '</span></button></td></tr>';
      }).join('') + '</tbody></table></div>';
  }

  /**
   * The panel for one user: status, role, sessions, and the actions that end access.
   * @param {number} id
   * @param {boolean} focus
   * @returns {Promise<void>}
   */
  function showPanel(id, focus) {
    var u = byUserId(id);
    if (!u) { panel.hidden = true; openId = null; return Promise.resolve(); }
    var user = u;
    openId = id;
    return B.api('GET', '/api/users/' + id + '/sessions').then(function (/** @type {{ items: WebSession[] }} */ s) {
      panel.hidden = false;
      panel.innerHTML = '<h2 id="h-user-panel" tabindex="-1">Behandle ' + B.esc(user.name) + '</h2>' +
        '<p>' + B.esc(user.email) + ' · ' + B.esc(B.label('staffRole', user.role)) + ' · ' + (user.disabled_at ? 'deaktivert ' + B.esc(B.dt(user.disabled_at)) : 'aktiv') +
        ' · tofaktor ' + (user.two_factor ? 'på' : 'av') + '</p>' +
        '<div class="actions">' +
        (user.disabled_at ? '<button type="button" data-act="enable">Aktiver brukeren</button>' : '<button type="button" data-act="disable">Deaktiver brukeren</button>') +
        '<button type="button" data-act="end-sessions">Avslutt alle økter</button>' +
        '<button type="button" data-act="revoke-tokens">Trekk tilbake alle API-nøkler</button>' +
        (user.two_factor ? '<button type="button" data-act="reset-2fa">Nullstill tofaktor</button>' : '') +
        '</div>' +
        '<h3>Rolle</h3><form id="role-form" class="inline-form">' +
        '<div class="field"><label for="p-role">Ny rolle</label><select id="p-role">' + roleOptions(user.role) + '</select></div>' +
        '<div class="field"><label for="p-member">Medlemsnummer (for tillitsvalgte)</label><input id="p-member" maxlength="20" value="' + B.esc(user.member_number || '') + '"></div>' +
        '<button type="submit">Endre rolle</button></form>' +
        '<p class="small muted">Å deaktivere brukeren eller endre rollen avslutter brukerens økter og API-nøkler med en gang.</p>' +
        '<h3>Åpne økter</h3>' + sessionList(s.items) +
        '<div id="panel-result" aria-live="polite"></div>';
      if (focus) B.byId('h-user-panel').focus();
    }).catch(function (err) { panel.hidden = false; B.showError(panel, err); });
  }

  /** After a change: reload the list and panel, then say what happened. @param {string} text */
  function done(text) {
    return load().then(function () {
      var out = document.getElementById('panel-result');
      if (out) { out.className = 'ok'; out.textContent = text; }
    });
  }

  /** @param {unknown} err */
  function panelError(err) {
    var out = document.getElementById('panel-result');
    B.showError(out || panel, err);
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
      B.api('POST', '/api/users/' + t.dataset.token + '/tokens', { name: name }).then(function (/** @type {{ token: string }} */ r) {
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
    } else if (t.dataset.manage) {
      showPanel(Number(t.dataset.manage), true);
    }
  });

  panel.addEventListener('click', function (e) {
    var t = B.closest(e, 'button');
    var u = openId === null ? undefined : byUserId(openId);
    if (!t || !u) return;
    var base = '/api/users/' + u.id;
    var act = t.dataset.act;
    if (act === 'disable') {
      if (!window.confirm('Deaktivere ' + u.name + '? Alle økter og API-nøkler avsluttes med en gang.')) return;
      B.api('PATCH', base, { disabled: true }).then(function () { return done('Brukeren er deaktivert.'); }).catch(panelError);
    } else if (act === 'enable') {
      B.api('PATCH', base, { disabled: false }).then(function () { return done('Brukeren er aktivert igjen. Gamle økter og nøkler kommer ikke tilbake.'); }).catch(panelError);
    } else if (act === 'end-sessions') {
      if (!window.confirm('Avslutte alle økter for ' + u.name + '?')) return;
      B.api('DELETE', base + '/sessions').then(function (/** @type {{ sessions: number }} */ r) { return done('Avsluttet ' + r.sessions + ' økt(er).'); }).catch(panelError);
    } else if (act === 'revoke-tokens') {
      if (!window.confirm('Trekke tilbake alle API-nøklene til ' + u.name + '?')) return;
      B.api('DELETE', base + '/tokens').then(function (/** @type {{ tokens: number }} */ r) { return done('Trakk tilbake ' + r.tokens + ' nøkkel/nøkler.'); }).catch(panelError);
    } else if (act === 'reset-2fa') {
      if (!window.confirm('Nullstille tofaktor for ' + u.name + '? Brukeren logges ut og må sette opp tofaktor på nytt.')) return;
      B.api('DELETE', base + '/two-factor').then(function () { return done('Tofaktor er nullstilt.'); }).catch(panelError);
    } else if (t.dataset.endSession) {
      B.api('DELETE', base + '/sessions/' + t.dataset.endSession).then(function () { return done('Økten er avsluttet.'); }).catch(panelError);
    }
  });

  panel.addEventListener('submit', function (e) {
    var u = openId === null ? undefined : byUserId(openId);
    if (!(e.target instanceof HTMLFormElement) || e.target.id !== 'role-form' || !u) return;
    e.preventDefault();
    /** @type {{ role: string, memberNumber?: string }} */
    var body = { role: B.byId('p-role', HTMLSelectElement).value };
    var mn = B.byId('p-member', HTMLInputElement).value.trim();
    if (mn && mn !== (u.member_number || '')) body.memberNumber = mn;
    if (!window.confirm('Endre rollen til ' + u.name + ' til ' + B.label('staffRole', body.role) + '? Brukerens økter og API-nøkler avsluttes.')) return;
    B.api('PATCH', '/api/users/' + u.id, body).then(function () { return done('Rollen er endret.'); }).catch(panelError);
  });

  var form = B.byId('user-form', HTMLFormElement);
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var out = B.byId('user-form-result');
    /** @type {{ name: string, email: string, role: string, memberNumber?: string }} */
    var body = { name: B.q(form, '#u-name', HTMLInputElement).value, email: B.q(form, '#u-email', HTMLInputElement).value, role: B.q(form, '#u-role', HTMLSelectElement).value };
    var mn = B.q(form, '#u-member', HTMLInputElement).value.trim();
    if (mn) body.memberNumber = mn;
    B.api('POST', '/api/users', body).then(function (/** @type {{ name: string }} */ u) {
      out.className = 'ok'; out.textContent = 'Opprettet ' + u.name + '. Sett et passord for å gi tilgang til nettsidene.';
      form.reset();
      return load();
    }).catch(function (err) { B.showError(out, err); });
  });
  load();
})();
