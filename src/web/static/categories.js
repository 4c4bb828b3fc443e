// @ts-check
/* Categories (admins): edit name, legal basis, declinable, default and channels via PATCH /api/categories/:code. */
(function () {
  'use strict';
  var B = window.Budstikke;
  var el = B.byId('category-list');
  var CH = ['email', 'sms', 'letter'];

  /**
   * @param {{ code: string, nameNb: string, legalBasis: string, declinable: boolean, defaultOn: boolean, channels: string[] }} c
   * @returns {string}
   */
  function row(c) {
    var id = 'cat-' + c.code;
    return '<tr data-code="' + B.esc(c.code) + '">' +
      '<th scope="row"><code>' + B.esc(c.code) + '</code></th>' +
      '<td><label class="sr-only" for="' + id + '-name">Navn på ' + B.esc(c.code) + '</label><input id="' + id + '-name" value="' + B.esc(c.nameNb) + '"></td>' +
      '<td><label class="sr-only" for="' + id + '-basis">Rettslig grunnlag for ' + B.esc(c.code) + '</label><input id="' + id + '-basis" value="' + B.esc(c.legalBasis) + '"></td>' +
      '<td><input type="checkbox" id="' + id + '-decl"' + (c.declinable ? ' checked' : '') + '><label class="sr-only" for="' + id + '-decl">Kan reserveres mot (' + B.esc(c.code) + ')</label></td>' +
      '<td><input type="checkbox" id="' + id + '-def"' + (c.defaultOn ? ' checked' : '') + '><label class="sr-only" for="' + id + '-def">På som standard (' + B.esc(c.code) + ')</label></td>' +
      '<td>' + CH.map(function (ch) {
        return '<span class="check"><input type="checkbox" id="' + id + '-' + ch + '"' + (c.channels.indexOf(ch) >= 0 ? ' checked' : '') + '> <label for="' + id + '-' + ch + '">' + B.label('channel', ch) + '</label></span> ';
      }).join('') + '</td>' +
      '<td><button type="button" data-save="' + B.esc(c.code) + '">Lagre <span class="sr-only">' + B.esc(c.code) + '</span></button><p role="status" class="small"></p></td></tr>';
  }

  function load() {
    B.api('GET', '/api/categories').then(function (r) {
      var cats = r.categories || r;
      el.innerHTML = '<div class="table-wrap"><table class="list" id="category-table"><caption class="sr-only">Meldingskategorier</caption><thead><tr>' +
        '<th scope="col">Kode</th><th scope="col">Navn</th><th scope="col">Rettslig grunnlag</th><th scope="col">Kan reserveres</th><th scope="col">Standard på</th><th scope="col">Kanaler</th><th scope="col"><span class="sr-only">Handling</span></th></tr></thead><tbody>' +
        cats.map(row).join('') + '</tbody></table></div>';
    }).catch(function (err) { B.showError(el, err); });
  }

  el.addEventListener('click', function (e) {
    const btn = /** @type {HTMLButtonElement | null} */ (B.closest(e, 'button[data-save]'));
    if (!btn) return;
    var code = btn.dataset.save || '';
    var id = 'cat-' + code;
    var status = B.q(/** @type {HTMLElement} */ (btn.parentElement), '[role=status]');
    /** @param {string} suffix */
    var input = function (suffix) { return B.byId(id + suffix, HTMLInputElement); };
    var body = {
      nameNb: input('-name').value,
      legalBasis: input('-basis').value,
      declinable: input('-decl').checked,
      defaultOn: input('-def').checked,
      channels: CH.filter(function (ch) { return input('-' + ch).checked; }),
    };
    btn.disabled = true;
    B.api('PATCH', '/api/categories/' + encodeURIComponent(code), body)
      .then(function () { status.className = 'ok'; status.textContent = 'Lagret.'; })
      .catch(function (err) { status.className = 'error'; status.textContent = B.problemText(err); })
      .then(function () { btn.disabled = false; });
  });

  load();
})();
