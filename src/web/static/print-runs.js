// @ts-check
/* The campaign page's letter print runs: download PDF and manifest, mark handed to the printer (admin, communications). */
(function () {
  'use strict';
  var B = window.Budstikke;
  var root = document.getElementById('print-runs');
  if (!root) return;
  var box = /** @type {HTMLElement} */ (root);
  var id = box.dataset.campaign;
  var list = /** @type {HTMLElement} */ (document.getElementById('print-run-list'));

  /** @param {{ name: string, kind: string, letters: number, state: string, handedOverAt: string | null, handedOverBy: string | null }} r */
  function row(r) {
    var base = '/api/campaigns/' + id + '/print-runs/' + encodeURIComponent(r.name) + '/';
    var files = r.kind === 'letters'
      ? '<a href="' + base + 'pdf" download data-download="pdf">PDF</a> · <a href="' + base + 'manifest" download data-download="manifest">Manifest (CSV)</a>'
      : '<a href="' + base + 'address-list" download data-download="address-list">Adresseliste (CSV)</a>';
    var state = B.label('printRunState', r.state) + (r.handedOverAt ? ' ' + B.dt(r.handedOverAt) + (r.handedOverBy ? ' av ' + r.handedOverBy : '') : '');
    return '<tr data-run="' + B.esc(r.name) + '"><th scope="row">' + B.esc(r.name) + '</th><td class="num">' + B.num(r.letters) + '</td><td data-state="' + B.esc(r.state) + '">' + B.esc(state) + '</td><td>' + files + '</td><td>' +
      (r.state === 'ready' ? '<button type="button" data-handover="' + B.esc(r.name) + '">Marker som levert til trykkeri</button>' : '') + '</td></tr>';
  }

  /** @param {string} text @param {string} yes @returns {Promise<boolean>} */
  function confirmDialog(text, yes) {
    return new Promise(function (resolve) {
      var d = /** @type {HTMLDialogElement} */ (document.getElementById('confirm'));
      /** @type {HTMLElement} */ (document.getElementById('confirm-text')).textContent = text;
      /** @type {HTMLElement} */ (document.getElementById('confirm-yes')).textContent = yes;
      d.returnValue = '';
      d.onclose = function () { resolve(d.returnValue === 'yes'); };
      d.showModal();
    });
  }

  var shown = '';
  function load() {
    return B.api('GET', '/api/campaigns/' + id + '/print-runs').then(function (/** @type {{ runs: any[] }} */ r) {
      var html = r.runs.length
        ? '<div class="table-wrap"><table class="list" id="print-run-table"><caption class="sr-only">Trykkfiler</caption><thead><tr><th scope="col">Trykkfil</th><th scope="col">Brev</th><th scope="col">Tilstand</th><th scope="col">Last ned</th><th scope="col"><span class="sr-only">Handling</span></th></tr></thead><tbody>' +
          r.runs.map(row).join('') + '</tbody></table></div>'
        : '';
      box.hidden = !r.runs.length;
      if (html !== shown) { list.innerHTML = html; shown = html; }
    }).catch(function () { box.hidden = true; });
  }

  list.addEventListener('click', function (e) {
    var b = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest('button[data-handover]'));
    if (!b) return;
    var name = b.dataset.handover || '';
    confirmDialog('Markere trykkfilen «' + name + '» som levert til trykkeriet?', 'Ja, levert til trykkeri').then(function (yes) {
      if (!yes) return;
      return B.api('POST', '/api/campaigns/' + id + '/print-runs/' + encodeURIComponent(name) + '/handed-over', {}).then(load);
    }).catch(function (/** @type {any} */ err) { B.showError(/** @type {HTMLElement} */ (document.getElementById('print-run-error')), err); });
  });

  // Letter batches write their runs while the campaign sends: look again until the page is left.
  load();
  setInterval(load, 5000);
})();
