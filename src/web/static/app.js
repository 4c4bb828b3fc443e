// @ts-check
/* Shared helpers for the staff pages: the JSON API with the session's CSRF token, escaping, formatting. */
(function () {
  'use strict';
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = (meta && meta.getAttribute('content')) || '';

  /**
   * @param {number} status
   * @param {BudstikkeProblem} [problem]
   * @returns {BudstikkeApiError}
   */
  function apiError(status, problem) {
    // A problem's title is the HTTP reason phrase in English (RFC 9457): staff read the detail, or this.
    /** @type {Record<number, string>} */
    var byStatus = { 400: 'Noe er feil i det du sendte', 401: 'Du er ikke logget inn', 403: 'Ingen tilgang', 404: 'Fant ikke det du ba om',
      405: 'Ikke tillatt her', 409: 'Det går ikke nå', 413: 'For stort', 415: 'Feil format', 422: 'Kan ikke gjennomføres', 429: 'For mange forsøk',
      500: 'Noe gikk galt', 502: 'Tjenesten svarer ikke', 503: 'Tjenesten er ikke tilgjengelig akkurat nå' };
    return { status: status, problem: problem || {}, message: (problem && problem.detail) || byStatus[status] || ('Feil (HTTP ' + status + ')') };
  }

  /** @type {Budstikke['api']} */
  function api(method, path, body, opts) {
    opts = opts || {};
    /** @type {Record<string, string>} */
    var headers = { accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrf;
    /** @type {RequestInit} */
    var init = { method: method, headers: headers, credentials: 'same-origin' };
    // keepalive: a save sent while the page unloads still reaches the server.
    if (opts.keepalive) init.keepalive = true;
    if (body !== undefined) {
      if (opts.raw) { init.body = /** @type {BodyInit} */ (body); headers['content-type'] = opts.contentType || 'application/octet-stream'; }
      else { init.body = JSON.stringify(body); headers['content-type'] = 'application/json'; }
    }
    return fetch(path, init).then(function (res) {
      if (res.status === 204) return null;
      var ct = res.headers.get('content-type') || '';
      /** @type {Promise<any>} */
      var parse = ct.indexOf('json') >= 0 ? res.json() : (opts && opts.blob ? res.blob() : res.text());
      return parse.then(function (data) {
        if (!res.ok) throw apiError(res.status, typeof data === 'object' ? data : { detail: String(data).slice(0, 200) });
        return data;
      });
    });
  }

  /** @type {Record<string, string>} */
  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  /** The browser's one escaper (the server's is src/web/html.ts): for text put into innerHTML. @type {Budstikke['esc']} */
  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }

  var dtf = new Intl.DateTimeFormat('nb-NO', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Oslo' });
  /** @type {Budstikke['dt']} */
  function dt(v) { if (!v) return '–'; var d = new Date(v); return isNaN(d.getTime()) ? String(v) : dtf.format(d); }
  var nf = new Intl.NumberFormat('nb-NO');
  /** @type {Budstikke['num']} */
  function num(n) { return nf.format(n || 0); }

  /**
   * A problem as readable text, with each field error on its own line.
   * @param {any} err an ApiError, or any thrown value
   * @returns {string}
   */
  function problemText(err) {
    if (!err) return 'Ukjent feil';
    /** @type {BudstikkeProblem} */
    var p = err.problem || {};
    var lines = [err.message || 'Feil'];
    (p.errors || []).forEach(function (e) {
      lines.push((e.row ? 'Rad ' + e.row + ': ' : '') + (e.line ? 'Linje ' + e.line + ': ' : '') + (e.field ? e.field + ': ' : '') + e.message);
    });
    return lines.join('\n');
  }

  /** @type {Budstikke['showError']} */
  function showError(el, err) {
    el.hidden = false;
    el.className = 'error';
    el.setAttribute('role', 'alert');
    el.textContent = problemText(err);
    el.style.whiteSpace = 'pre-line';
  }

  /**
   * The hub's one vocabulary (src/vocabulary), embedded by the page layout as JSON: every
   * enumeration's bokmål labels by value. The old short kinds stay as aliases.
   * @type {Record<string, BudstikkeLabels>}
   */
  var VOCAB = {};
  var vocabEl = document.getElementById('vocabulary');
  try { VOCAB = vocabEl ? JSON.parse(vocabEl.textContent || '{}') : {}; } catch (_e) { VOCAB = {}; }
  /** @type {Record<string, string>} */
  var ALIAS = { state: 'sendState', campaign: 'campaignState', source: 'consentSource' };
  /** @type {Budstikke['label']} */
  function label(kind, v) {
    var labels = VOCAB[ALIAS[kind] || kind];
    return (labels && v && labels[v]) || v || '–';
  }

  /** Fills <select data-source="name"> from /api/reference/name (value = id/code/number). @type {Budstikke['loadReference']} */
  function loadReference(select, name) {
    var key = select.dataset.value;
    return api('GET', '/api/reference/' + name).then(function (/** @type {Record<string, any>[]} */ rows) {
      rows.forEach(function (r) {
        var o = document.createElement('option');
        o.value = key ? r[key] : r.id !== undefined ? r.id : (r.code !== undefined ? r.code : r.number);
        o.textContent = r.name + (r.code && name !== 'counties' ? ' (' + r.code + ')' : '');
        Object.keys(r).forEach(function (k) { if (/_(id|code|number)$/.test(k)) o.dataset[k.replace(/_([a-z])/g, function (_m, c) { return c.toUpperCase(); })] = String(r[k]); });
        select.appendChild(o);
      });
      return rows;
    });
  }

  /**
   * The element with this id (of this type): a page script's fixed elements. A missing one throws,
   * so a page and its script out of step fail loudly instead of at the first click.
   * @param {string} id
   * @param {any} [type]
   * @returns {any}
   */
  function byId(id, type) {
    var el = document.getElementById(id);
    if (!el || !(el instanceof (type || HTMLElement))) throw new Error('Siden mangler #' + id);
    return el;
  }

  /**
   * The first element under root matching sel, of this type (throws when missing).
   * @param {ParentNode} root
   * @param {string} sel
   * @param {any} [type]
   * @returns {any}
   */
  function q(root, sel, type) {
    var el = root.querySelector(sel);
    if (!el || !(el instanceof (type || HTMLElement))) throw new Error('Siden mangler ' + sel);
    return el;
  }

  /** The element an event came from, or its nearest ancestor matching sel. @type {Budstikke['closest']} */
  function closest(e, sel) {
    var t = e.target;
    var el = t instanceof Element ? t.closest(sel) : null;
    return el instanceof HTMLElement ? el : null;
  }

  window.Budstikke = {
    api: api, esc: esc, dt: dt, num: num, problemText: problemText, showError: showError, label: label, loadReference: loadReference, csrf: csrf,
    byId: byId, q: q, closest: closest,
  };
})();
