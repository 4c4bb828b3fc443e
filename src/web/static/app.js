/* Shared helpers for the staff pages: the JSON API with the session's CSRF token, escaping, formatting. */
(function () {
  'use strict';
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';

  function ApiError(status, problem) {
    this.status = status;
    this.problem = problem || {};
    this.message = (problem && (problem.detail || problem.title)) || ('HTTP ' + status);
  }

  /** fetch /api with the session cookie; changes carry X-CSRF-Token. Resolves JSON (or null for 204). */
  function api(method, path, body, opts) {
    opts = opts || {};
    var headers = { accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrf;
    var init = { method: method, headers: headers, credentials: 'same-origin' };
    // keepalive: a save sent while the page unloads still reaches the server.
    if (opts.keepalive) init.keepalive = true;
    if (body !== undefined) {
      if (opts.raw) { init.body = body; headers['content-type'] = opts.contentType || 'application/octet-stream'; }
      else { init.body = JSON.stringify(body); headers['content-type'] = 'application/json'; }
    }
    return fetch(path, init).then(function (res) {
      if (res.status === 204) return null;
      var ct = res.headers.get('content-type') || '';
      var parse = ct.indexOf('json') >= 0 ? res.json() : (opts.blob ? res.blob() : res.text());
      return parse.then(function (data) {
        if (!res.ok) throw new ApiError(res.status, typeof data === 'object' ? data : { detail: String(data).slice(0, 200) });
        return data;
      });
    });
  }

  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  var dtf = new Intl.DateTimeFormat('nb-NO', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Oslo' });
  function dt(v) { if (!v) return '–'; var d = new Date(v); return isNaN(d) ? String(v) : dtf.format(d); }
  var nf = new Intl.NumberFormat('nb-NO');
  function num(n) { return nf.format(n || 0); }

  /** A problem as readable text, with each field error on its own line. */
  function problemText(err) {
    if (!err) return 'Ukjent feil';
    var p = err.problem || {};
    var lines = [err.message || 'Feil'];
    (p.errors || []).forEach(function (e) {
      lines.push((e.row ? 'Rad ' + e.row + ': ' : '') + (e.line ? 'Linje ' + e.line + ': ' : '') + (e.field ? e.field + ': ' : '') + e.message);
    });
    return lines.join('\n');
  }

  function showError(el, err) {
    el.hidden = false;
    el.className = 'error';
    el.setAttribute('role', 'alert');
    el.textContent = problemText(err);
    el.style.whiteSpace = 'pre-line';
  }

  var LABELS = {
    channel: { email: 'E-post', sms: 'SMS', letter: 'Brev' },
    state: { queued: 'I kø', sending: 'Sendes', sent: 'Sendt', delivered: 'Levert', bounced: 'Avvist', failed: 'Feilet', skipped: 'Hoppet over', cancelled: 'Avbrutt' },
    campaign: { draft: 'Utkast', scheduled: 'Planlagt', running: 'Sendes', paused: 'Pauset', completed: 'Fullført', cancelled: 'Avbrutt', pending_approval: 'Venter på godkjenning' },
    source: { unsubscribe_link: 'Avmeldingslenke', one_click: 'Ett-klikks avmelding', preference_page: 'Innstillingssiden', sms_keyword: 'SMS-kodeord', provider_event: 'Hendelse fra leverandør', staff: 'Ansatt', import: 'Import' },
  };
  function label(kind, v) { return (LABELS[kind] && LABELS[kind][v]) || v || '–'; }

  /** Fills <select data-source="name"> from /api/reference/name (value = id/code/number). */
  function loadReference(select, name) {
    var key = select.dataset.value;
    return api('GET', '/api/reference/' + name).then(function (rows) {
      rows.forEach(function (r) {
        var o = document.createElement('option');
        o.value = key ? r[key] : r.id !== undefined ? r.id : (r.code !== undefined ? r.code : r.number);
        o.textContent = r.name + (r.code && name !== 'counties' ? ' (' + r.code + ')' : '');
        Object.keys(r).forEach(function (k) { if (/_(id|code|number)$/.test(k)) o.dataset[k.replace(/_([a-z])/g, function (_m, c) { return c.toUpperCase(); })] = r[k]; });
        select.appendChild(o);
      });
      return rows;
    });
  }

  window.Budstikke = { api: api, esc: esc, dt: dt, num: num, problemText: problemText, showError: showError, label: label, loadReference: loadReference, csrf: csrf };
})();
