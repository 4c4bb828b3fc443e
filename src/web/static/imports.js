// @ts-check
/* Imports: upload a register file to POST /api/members/import, show the report, offer the rejected rows as CSV. */
(function () {
  'use strict';
  var B = window.Budstikke;
  var form = B.byId('import-form', HTMLFormElement);
  var out = B.byId('import-report');
  var NATIONAL_ID = /f(ø|o|oe)dselsnummer|personnummer|^fnr$|d-?nummer|national.?id/i;

  /** @param {ArrayBuffer} buf @returns {string} */
  function decode(buf) {
    var bytes = new Uint8Array(buf);
    try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, ''); }
    catch (e) { return new TextDecoder('windows-1252').decode(bytes); }
  }

  /** CSV records (quotes, doubled quotes and newlines inside quotes), numbered from 1 like the import's rows. */
  /**
   * @param {string} text
   * @returns {{ recs: string[][], delim: string }}
   */
  function records(text) {
    var first = text.split(/\r?\n/, 1)[0];
    var delim = (first.split(';').length >= first.split(',').length) ? ';' : ',';
    /** @type {string[][]} */
    var recs = [];
    /** @type {string[]} */
    var rec = [];
    var field = '', q = false, i = 0;
    for (; i < text.length; i++) {
      var c = text[i];
      if (q) {
        if (c === '"') { if (text[i + 1] === '"') { field += '"'; i++; } else q = false; } else field += c;
      } else if (c === '"') q = true;
      else if (c === delim) { rec.push(field); field = ''; }
      else if (c === '\n' || c === '\r') {
        if (c === '\r' && text[i + 1] === '\n') i++;
        rec.push(field); recs.push(rec); rec = []; field = '';
      } else field += c;
    }
    if (field !== '' || rec.length) { rec.push(field); recs.push(rec); }
    return { recs: recs, delim: delim };
  }

  /**
   * One cell. A text starting like a formula (equals, plus, minus, at sign, tab, CR) gets a leading apostrophe, as the
   * server's CSV writer (src/csv) does: the rejected rows are opened in a spreadsheet too.
   * @param {string | number | undefined} value
   * @param {string} delim
   */
  function csvCell(value, delim) {
    var v = String(value === undefined ? '' : value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(v) && !/^[+-]\d[\d ]*([.,]\d+)?$/.test(v)) v = "'" + v;
    return (v.indexOf(delim) >= 0 || /["\r\n]/.test(v)) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }

  /**
   * @param {string} text
   * @param {{ row: number, field: string, message: string }[]} errors
   */
  function rejectedCsv(text, errors) {
    var parsed = records(text);
    var d = parsed.delim;
    var header = parsed.recs[0] || [];
    var keep = header.map(function (h) { return !NATIONAL_ID.test(h.trim()); });
    /** @type {Record<number, string[]>} */
    var byRow = {};
    errors.forEach(function (e) { (byRow[e.row] = byRow[e.row] || []).push(e.field + ': ' + e.message); });
    var lines = [/** @type {(string | number)[]} */ (['rad']).concat(header.filter(function (_h, i) { return keep[i]; })).concat(['feil']).map(function (v) { return csvCell(v, d); }).join(d)];
    Object.keys(byRow).map(Number).sort(function (a, b) { return a - b; }).forEach(function (row) {
      var rec = parsed.recs[row - 1] || [];
      lines.push(/** @type {(string | number)[]} */ ([row]).concat(rec.filter(function (_v, i) { return keep[i] !== false; })).concat([byRow[row].join(' | ')]).map(function (v) { return csvCell(v, d); }).join(d));
    });
    return '\uFEFF' + lines.join('\r\n') + '\r\n';
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var files = B.q(form, '#import-file', HTMLInputElement).files;
    var picked = files && files[0];
    if (!picked) return;
    var file = picked;
    var btn = B.q(form, 'button', HTMLButtonElement);
    btn.disabled = true;
    out.innerHTML = '<p class="muted">Importerer ' + B.esc(file.name) + ' …</p>';
    file.arrayBuffer().then(function (buf) {
      var json = /\.json$/i.test(file.name) || file.type === 'application/json';
      return B.api('POST', '/api/members/import', buf, { raw: true, contentType: json ? 'application/json' : 'text/csv' }).then(function (r) {
        var html = '<section class="card" aria-labelledby="h-report"><h2 id="h-report">Rapport for ' + B.esc(file.name) + '</h2>' +
          '<table class="list" id="import-counts"><tbody>' +
          '<tr><th scope="row">Nye medlemmer</th><td class="num">' + B.num(r.inserted) + '</td></tr>' +
          '<tr><th scope="row">Oppdatert</th><td class="num">' + B.num(r.updated) + '</td></tr>' +
          '<tr><th scope="row">Uendret</th><td class="num">' + B.num(r.unchanged) + '</td></tr>' +
          '<tr><th scope="row">Avvist</th><td class="num">' + B.num(r.rejected) + '</td></tr></tbody></table>' +
          (r.warnings.length ? '<h3>Advarsler</h3><ul>' + r.warnings.map(function (/** @type {string} */ w) { return '<li>' + B.esc(w) + '</li>'; }).join('') + '</ul>' : '');
        if (r.errors.length) {
          html += '<h3>Feil</h3><p><a href="#" id="download-rejected" class="button">Last ned avviste rader (CSV)</a></p>' +
            '<div class="table-wrap"><table class="list" id="import-errors"><caption class="sr-only">Feil per rad</caption><thead><tr><th scope="col">Rad</th><th scope="col">Felt</th><th scope="col">Feil</th></tr></thead><tbody>' +
            r.errors.slice(0, 500).map(function (/** @type {{ row: number, field: string, message: string }} */ er) { return '<tr><td>' + er.row + '</td><td>' + B.esc(er.field) + '</td><td>' + B.esc(er.message) + '</td></tr>'; }).join('') +
            '</tbody></table></div>' + (r.errors.length > 500 ? '<p class="muted">Viser de første 500 av ' + B.num(r.errors.length) + ' feil; alle er med i CSV-filen.</p>' : '');
        }
        out.innerHTML = html + '</section>';
        var dl = document.getElementById('download-rejected');
        if (dl && !(dl instanceof HTMLAnchorElement)) dl = null;
        if (dl && !json) {
          var csv = rejectedCsv(decode(buf), r.errors);
          dl.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
          dl.download = file.name.replace(/\.[^.]*$/, '') + '-avviste-rader.csv';
        } else if (dl && dl.parentElement) dl.parentElement.remove();
      });
    }).catch(function (err) { B.showError(out, err); }).then(function () { btn.disabled = false; });
  });
})();
