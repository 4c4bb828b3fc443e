/* New campaign: audience → content → schedule and test → review → launch. */
(function () {
  'use strict';
  var B = window.Budstikke;
  var $ = function (id) { return document.getElementById(id); };
  /** A random key for one form submit: the server answers a repeat with what the first one made. */
  function newKey() { var a = new Uint8Array(12); crypto.getRandomValues(a); return Array.prototype.map.call(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join(''); }
  var LANGS = ['nb', 'nn', 'en'];
  /** Above this many segments an SMS costs more and reads poorly: the launch asks first (SMS_WARN_SEGMENTS in src/render/sms.ts). */
  var SMS_WARN_SEGMENTS = 3;
  var LANG_LABEL = { nb: 'Bokmål', nn: 'Nynorsk', en: 'Engelsk' };
  var state = {
    step: 1, counts: null, templateId: null, version: null, versionId: null, templateName: null, preview: null, campaign: null, categories: {}, links: {}, languages: null,
    // The content being written, per language; which language each channel's editor shows; what changed since the last save.
    content: { nb: null, nn: null, en: null }, chLang: { email: 'nb', sms: 'nb', letter: 'nb' }, dirty: {},
    shared: false, builtIn: false, usedBy: [], saveMode: null, previewMember: '', previewLang: '',
    keys: { template: newKey(), copy: newKey(), campaign: newKey(), launch: newKey() }, launched: null, review: null,
  };
  var errBox = $('wizard-error');
  var busy = false;

  // ------------------------------------------------------------------ the API in one place
  /** The filter lists of step 1 and the audience leaf each writes (numeric: ids). */
  var FILTERS = [
    { id: 'f-status', key: 'status' }, { id: 'f-mcategory', key: 'category' }, { id: 'f-county', key: 'county' }, { id: 'f-municipality', key: 'municipality' },
    { id: 'f-employer', key: 'employer', num: true }, { id: 'f-workplace', key: 'workplace', num: true }, { id: 'f-agreement', key: 'agreement', num: true },
    { id: 'f-branch', key: 'branch', num: true }, { id: 'f-club', key: 'club', num: true }, { id: 'f-role', key: 'role' }, { id: 'f-language', key: 'language' },
  ];
  /** The chosen values of a list (a multiple select: any number; none is everyone). */
  function chosen(id) {
    return Array.prototype.filter.call($(id).selectedOptions, function (o) { return o.value && !o.hidden; }).map(function (o) { return o.value; });
  }
  /**
   * The audience filter as the campaigns API takes it (issue 5: a joi-validated JSON filter with
   * AND/OR/NOT groups). Every list with a choice is one condition, its values joined by "or",
   * turned into NOT by its "alle unntatt" box; the conditions are joined by "og" or "eller"
   * (f-join). Member status always holds, whatever the join.
   */
  function audienceFilter() {
    var all = [];
    var leaves = [];
    FILTERS.forEach(function (f) {
      var vs = chosen(f.id);
      if (!vs.length) return;
      var leaf = {};
      leaf[f.key] = f.num ? vs.map(Number) : vs;
      if (f.id === 'f-status') { all.push(leaf); return; }
      var not = $('n-' + f.id);
      leaves.push(not && not.checked ? { not: leaf } : leaf);
    });
    if ($('f-joined-after').value) leaves.push({ joinedAfter: $('f-joined-after').value });
    if ($('f-join').value === 'any' && leaves.length > 1) all.push({ any: leaves });
    else all = all.concat(leaves);
    return { all: all };
  }
  /** Whether the filter is more than "all of these lists": the review then uses the server's words for it. */
  function complexFilter() {
    return $('f-join').value === 'any' || Array.prototype.some.call(document.querySelectorAll('input[data-not-of]'), function (c) { return c.checked && chosen(c.dataset.notOf).length > 0; });
  }
  /**
   * A filter tree into the lists (a saved audience, a draft campaign). Only the shapes the lists
   * can show: status, then leaves (or NOT leaves) joined by all or by one "any". Anything else
   * (member numbers, nested groups) answers false and leaves the lists as they were.
   */
  function applyFilter(filter) {
    var MAP = {};
    FILTERS.forEach(function (f) { MAP[f.key] = f.id; });
    var top = filter && filter.all ? filter.all : [filter];
    var leaves = [];
    var join = 'all';
    var ok = true;
    top.forEach(function (n) {
      if (n && n.any) { if (join === 'any') ok = false; join = 'any'; leaves = leaves.concat(n.any); } else leaves.push(n);
    });
    var plan = leaves.map(function (leaf) {
      var not = !!(leaf && leaf.not);
      var l = not ? leaf.not : leaf;
      var k = Object.keys(l || {})[0];
      if (k === 'joinedAfter' && !not) return { k: k, v: l[k] };
      if (!MAP[k] || !Array.isArray(l[k]) || (not && k === 'status')) { ok = false; return null; }
      return { k: k, v: l[k].map(String), not: not };
    });
    if (!ok) return false;
    FILTERS.forEach(function (f) {
      Array.prototype.forEach.call($(f.id).options, function (o) { o.selected = false; o.hidden = false; });
      var n = $('n-' + f.id);
      if (n) n.checked = false;
    });
    $('f-joined-after').value = '';
    $('f-join').value = join;
    plan.forEach(function (p) {
      if (p.k === 'joinedAfter') { $('f-joined-after').value = p.v; return; }
      Array.prototype.forEach.call($(MAP[p.k]).options, function (o) { o.selected = p.v.indexOf(o.value) >= 0; });
      var n = $('n-' + MAP[p.k]);
      if (n) n.checked = !!p.not;
    });
    if (!plan.some(function (p) { return p.k === 'status'; })) $('f-status').value = '';
    return true;
  }
  function channels() {
    var out = [];
    ['c-ch1', 'c-ch2', 'c-ch3'].forEach(function (id) { var c = $(id).value; if (c && out.indexOf(c) < 0) out.push(c); });
    return out;
  }
  function category() { return $('c-category').value; }

  // ------------------------------------------------------------------ steps
  function show(step) {
    errBox.hidden = true;
    state.step = step;
    document.querySelectorAll('section.step').forEach(function (s) { s.hidden = Number(s.dataset.step) !== step; });
    document.querySelectorAll('#steps li').forEach(function (li) {
      if (Number(li.dataset.step) === step) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    });
    var h = document.querySelector('section.step[data-step="' + step + '"] h2');
    h.setAttribute('tabindex', '-1');
    h.focus();
    if (step === 2) buildContentEditors();
    if (step === 4) renderReview();
    saveDraft(true);
  }
  function fail(err) { B.showError(errBox, err); errBox.scrollIntoView({ block: 'nearest' }); }

  /** One submit at a time: a double click waits for the first (and the server's idempotency keys catch the rest). */
  function once(fn) {
    if (busy) return Promise.resolve(false);
    busy = true;
    return Promise.resolve().then(fn).then(function (v) { busy = false; return v; }, function (err) { busy = false; throw err; });
  }
  document.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-next]');
    if (!b) return;
    var to = Number(b.dataset.next);
    if (busy) return;
    if (to > state.step) {
      var check = validateStep(state.step);
      if (check) { fail({ message: check }); return; }
      if (state.step === 2 && !state.version) {
        saveAndPreview().then(function (ok) { if (ok) show(to); });
        return;
      }
      if (state.step === 2) { show(to); return; }
      if (state.step === 3) { once(saveCampaign).then(function (ok) { if (ok) show(to); }); return; }
    }
    show(to);
  });

  function validateStep(step) {
    if (step === 1) {
      if (!$('c-name').value.trim()) { $('c-name').focus(); return 'Gi kampanjen et navn.'; }
      if (!category()) return 'Velg en meldingskategori.';
      if (!channels().length) return 'Velg minst én kanal.';
      var allowed = (state.categories[category()] || {}).channels || [];
      var bad = channels().filter(function (c) { return allowed.indexOf(c) < 0; });
      if (bad.length) return 'Kategorien kan ikke sendes som ' + bad.map(function (c) { return B.label('channel', c); }).join(', ') + '.';
    }
    if (step === 2) {
      var missing = missingLinks();
      if (missing.length) {
        var first = $(linkInputId(missing[0]));
        if (first) first.focus();
        return 'Skriv inn adressen (https://…) for lenke ' + missing.map(function (n) { return '«' + n + '»'; }).join(', ') + '.';
      }
    }
    if (step === 3 && $('when-later').checked && !$('send-at').value) return 'Velg sendetidspunkt.';
    if (step === 3 && $('when-later').checked && new Date($('send-at').value).getTime() < Date.now()) return 'Sendetidspunktet har passert. Velg et tidspunkt fram i tid, eller send straks.';
    return null;
  }

  // ------------------------------------------------------------------ step 1: audience and live counts
  var refSelects = document.querySelectorAll('select[data-source]');
  var referencesLoaded = Promise.all(Array.prototype.filter.call(refSelects, function (s) { return s.dataset.source !== 'categories'; }).map(function (s) {
    return B.loadReference(s, s.dataset.source).catch(function () { /* shown empty */ });
  }));
  var categoriesLoaded = B.api('GET', '/api/categories').then(function (r) {
    var sel = $('c-category');
    (r.categories || r).forEach(function (c) {
      state.categories[c.code] = c;
      var o = document.createElement('option');
      o.value = c.code;
      o.textContent = c.nameNb + (c.declinable ? '' : ' (kan ikke reserveres mot)');
      sel.appendChild(o);
    });
    sel.value = state.categories.newsletter ? 'newsletter' : sel.options[0].value;
    $('c-ch1').value = 'email';
    updateCounts();
  }).catch(fail);

  // Dependent lists: municipalities of the chosen counties, workplaces of the employers, clubs of the branches.
  function narrow(parentId, childId, dataKey) {
    $(parentId).addEventListener('change', function () {
      var ps = chosen(parentId);
      Array.prototype.forEach.call($(childId).options, function (o) {
        if (!o.value) return;
        o.hidden = ps.length > 0 && ps.indexOf(o.dataset[dataKey]) < 0;
        if (o.hidden) o.selected = false;
      });
    });
  }
  narrow('f-county', 'f-municipality', 'countyCode');
  narrow('f-employer', 'f-workplace', 'employerId');
  narrow('f-branch', 'f-club', 'branchId');

  var timer = null;
  var seq = 0;
  document.querySelector('section.step[data-step="1"]').addEventListener('change', function () {
    clearTimeout(timer);
    timer = setTimeout(updateCounts, 250);
  });

  function updateCounts() {
    var box = $('audience-count');
    if (!category() || !channels().length) return;
    var my = ++seq;
    box.setAttribute('aria-busy', 'true');
    B.api('POST', '/api/audiences/preview', { category: category(), channels: channels(), audience: audienceFilter() }).then(function (r) {
      if (my !== seq) return;
      state.counts = r;
      var per = r.byChannel || r.reachable || r.channels || {};
      box.innerHTML = '<table class="list" id="counts-table"><caption>Hvor mange kampanjen når (etter samtykke og sperrer)</caption><tbody>' +
        '<tr><th scope="row">I målgruppen</th><td class="num" data-count="total">' + B.num(r.total) + '</td></tr>' +
        channels().map(function (ch) {
          var n = per[ch];
          if (n && typeof n === 'object') n = n.reachable !== undefined ? n.reachable : n.count;
          return '<tr><th scope="row">' + B.label('channel', ch) + '</th><td class="num" data-count="' + ch + '">' + B.num(n) + '</td></tr>';
        }).join('') +
        '<tr><th scope="row">Kan ikke nås</th><td class="num" data-count="unreachable">' + B.num(r.unreachable) + '</td></tr></tbody></table>' +
        unreachableWhy(r.unreachableReasons || {});
    }).catch(function (err) {
      if (my !== seq) return;
      box.innerHTML = '<p class="warn">Antallet kan ikke beregnes: ' + B.esc(B.problemText(err)) + '</p>';
    }).then(function () { box.removeAttribute('aria-busy'); });
  }

  // Saved audiences: load one into the lists, or save the lists under a name (POST /api/audiences).
  var savedAudiences = {};
  function loadSavedAudiences() {
    return B.api('GET', '/api/audiences').then(function (r) {
      var sel = $('a-saved');
      var keep = sel.value;
      sel.innerHTML = '<option value="">Velg …</option>';
      (r.items || []).forEach(function (a) {
        savedAudiences[a.id] = a;
        var o = document.createElement('option');
        o.value = String(a.id);
        o.textContent = a.name;
        sel.appendChild(o);
      });
      sel.value = keep;
    }).catch(function () { /* the lists still work */ });
  }
  loadSavedAudiences();
  $('a-saved').addEventListener('change', function () {
    var a = savedAudiences[$('a-saved').value];
    var out = $('a-result');
    if (!a) return;
    if (applyFilter(a.filter)) { out.className = 'ok small'; out.textContent = 'Hentet «' + a.name + '». Du kan endre filteret før du går videre.'; updateCounts(); saveDraft(); }
    else { out.className = 'warn small'; out.textContent = '«' + a.name + '» har vilkår listene her ikke kan vise (for eksempel medlemsnumre eller nestede grupper), så den er ikke hentet.'; }
  });
  $('a-save').addEventListener('click', function () {
    var out = $('a-result');
    var name = $('a-name').value.trim();
    if (!name) { out.className = 'warn small'; out.textContent = 'Gi målgruppen et navn.'; $('a-name').focus(); return; }
    once(function () { return B.api('POST', '/api/audiences', { name: name, filter: audienceFilter() }); }).then(function (a) {
      if (!a) return;
      out.className = 'ok small';
      out.textContent = 'Målgruppen «' + a.name + '» er lagret.';
      return loadSavedAudiences();
    }).catch(function (err) { B.showError(out, err); });
  });

  /** Why members cannot be reached, by reason and count (the preview's reasons on the first channel). */
  function unreachableWhy(reasons) {
    var keys = Object.keys(reasons).filter(function (k) { return reasons[k] > 0; }).sort(function (a, b) { return reasons[b] - reasons[a]; });
    if (!keys.length) return '';
    return '<table class="list" id="unreachable-why"><caption>Hvorfor de ikke kan nås</caption><tbody>' + keys.map(function (k) {
      return '<tr><th scope="row">' + B.esc(B.label('unreachableReason', k)) + '</th><td class="num" data-reason="' + B.esc(k) + '">' + B.num(reasons[k]) + '</td></tr>';
    }).join('') + '</tbody></table>';
  }

  // ------------------------------------------------------------------ step 2: content in three languages, preview
  var DEFAULTS = {
    subject: 'Hei {{firstName}}',
    mjml: '<mj-section>\n  <mj-column>\n    <mj-text>\n      <h1>Overskrift</h1>\n      <p>Hei {{firstName}}!</p>\n      <p>Skriv meldingen her.</p>\n    </mj-text>\n  </mj-column>\n</mj-section>',
    sms: 'Hei {{firstName}}! ',
    letter: '# Overskrift\n\nHei {{firstName}}!\n\nSkriv brevet her.',
  };
  /** The fields each channel's editor writes. */
  var FIELDS = { email: ['subject', 'mjml'], sms: ['sms'], letter: ['letter'] };
  var CH_TITLE = { email: 'E-post', sms: 'SMS', letter: 'Brev' };
  var built = null;

  function tabs(ch) {
    return '<div class="lang-tabs" role="tablist" aria-label="Språk for ' + CH_TITLE[ch] + '">' + LANGS.map(function (l) {
      var on = state.chLang[ch] === l;
      return '<button type="button" role="tab" id="tab-' + ch + '-' + l + '" data-tab-ch="' + ch + '" data-tab-lang="' + l + '" aria-controls="panel-' + ch + '" aria-selected="' + on + '" tabindex="' + (on ? '0' : '-1') + '">' + LANG_LABEL[l] + '</button>';
    }).join('') + '</div>';
  }
  function editorHtml(ch) {
    var fields = ch === 'email'
      ? '<div class="field"><label for="t-subject">Emne</label><input id="t-subject"></div><div class="field"><label for="t-mjml">Innhold (MJML; flettefelt som {{firstName}})</label><textarea id="t-mjml" rows="14" spellcheck="false"></textarea></div>'
      : ch === 'sms' ? '<div class="field"><label for="t-sms">SMS-tekst</label><textarea id="t-sms" rows="4" aria-describedby="sms-count"></textarea></div>' +
        '<div id="sms-info" aria-live="polite"><p id="sms-count" class="small"></p><ul id="sms-warnings" class="small"></ul></div><div id="sms-fixes" class="actions"></div>'
        : '<div class="field"><label for="t-letter">Brevtekst (# overskrift, avsnitt, - lister, **fet**)</label><textarea id="t-letter" rows="10"></textarea></div>';
    return '<div class="channel-editor" data-editor="' + ch + '"><h3>' + CH_TITLE[ch] + '</h3>' + tabs(ch) +
      '<div role="tabpanel" id="panel-' + ch + '" aria-labelledby="tab-' + ch + '-' + state.chLang[ch] + '">' + fields +
      '<p class="small muted lang-note" id="note-' + ch + '" aria-live="polite"></p></div></div>';
  }
  /** Editors → state.content of the language each editor shows (empty text is no content). */
  function readEditors() {
    channels().forEach(function (ch) {
      var l = state.chLang[ch];
      FIELDS[ch].forEach(function (f) {
        var el = $('t-' + f);
        if (!el) return;
        var before = (state.content[l] || {})[f] || '';
        if (el.value === before) return;
        state.content[l] = state.content[l] || { subject: null, mjml: null, sms: null, letter: null };
        state.content[l][f] = el.value;
        state.dirty[l] = true;
      });
    });
  }
  /** state.content → editors, and a note where a language has no variant (its members get bokmål). */
  function fillEditors() {
    scheduleSmsCount(0);
    channels().forEach(function (ch) {
      var l = state.chLang[ch];
      var c = state.content[l] || {};
      FIELDS[ch].forEach(function (f) { var el = $('t-' + f); if (el) el.value = c[f] || ''; });
      var note = $('note-' + ch);
      var has = FIELDS[ch].some(function (f) { return f !== 'subject' && c[f]; });
      if (note) note.textContent = l !== 'nb' && !has ? 'Ingen ' + LANG_LABEL[l].toLowerCase() + ' variant for ' + CH_TITLE[ch].toLowerCase() + ': medlemmer med ' + LANG_LABEL[l].toLowerCase() + ' får bokmål. Skriv her for å lage en.' : '';
      var panel = $('panel-' + ch);
      if (panel) panel.setAttribute('aria-labelledby', 'tab-' + ch + '-' + l);
      document.querySelectorAll('[data-tab-ch="' + ch + '"]').forEach(function (t) {
        var on = t.dataset.tabLang === l;
        t.setAttribute('aria-selected', String(on));
        t.tabIndex = on ? 0 : -1;
      });
    });
  }
  document.addEventListener('click', function (e) {
    var t = e.target.closest('[data-tab-ch]');
    if (!t) return;
    readEditors();
    state.chLang[t.dataset.tabCh] = t.dataset.tabLang;
    fillEditors();
    saveDraft();
  });
  document.addEventListener('keydown', function (e) {
    var t = e.target.closest && e.target.closest('[data-tab-ch]');
    if (!t || (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft')) return;
    var i = LANGS.indexOf(t.dataset.tabLang) + (e.key === 'ArrowRight' ? 1 : -1);
    var next = $('tab-' + t.dataset.tabCh + '-' + LANGS[(i + LANGS.length) % LANGS.length]);
    next.focus();
    next.click();
  });

  // ------------------------------------------------------------------ the SMS editor's live count (the server's one counter, src/segments)
  var smsTimer = null;
  var smsSeq = 0;
  function scheduleSmsCount(ms) {
    clearTimeout(smsTimer);
    smsTimer = setTimeout(smsCount, ms);
  }
  function validLinks() {
    var out = {};
    var l = links();
    Object.keys(l).forEach(function (n) { if (/^https?:\/\/\S+$/i.test(l[n])) out[n] = l[n]; });
    return out;
  }
  /** Segments and encoding of the SMS as the member gets it: merged for a sample member, with the opt-out line. */
  function smsCount() {
    var ta = $('t-sms');
    if (!ta) return;
    var my = ++smsSeq;
    var lang = state.chLang.sms;
    B.api('POST', '/api/render/sms-segments', { text: ta.value, language: lang, category: category(), links: validLinks() }).then(function (r) {
      if (my !== smsSeq) return;
      var segs = r.segments + ' SMS-segment' + (r.segments === 1 ? '' : 'er');
      var notes = [];
      if (r.optOut) notes.push('med reservasjonslinjen');
      if (r.merged) notes.push('flettefelt fylt ut for et eksempelmedlem');
      $('sms-count').innerHTML = '<strong id="sms-segments" data-segments="' + r.segments + '">' + B.esc(segs) + '</strong> · <span id="sms-encoding">' + B.esc(r.encoding) + '</span> · ' +
        B.num(r.characters) + ' tegn' + (notes.length ? ' (' + B.esc(notes.join(', ')) + ')' : '');
      $('sms-count').className = r.segments > SMS_WARN_SEGMENTS || !r.ok ? 'small warn' : 'small';
      $('sms-warnings').innerHTML = r.warnings.map(function (w) { return '<li>' + B.esc(w) + '</li>'; }).join('');
      var fixes = r.replacements || [];
      $('sms-fixes').innerHTML = fixes.map(function (f, i) {
        return '<button type="button" data-sms-fix="' + i + '">' + B.esc(f.label) + '</button>';
      }).join('') + (fixes.length > 1 ? '<button type="button" data-sms-fix="all">Bytt alle</button>' : '');
      $('sms-fixes').querySelectorAll('button[data-sms-fix]').forEach(function (b) {
        b.addEventListener('click', function () {
          var chosen = b.dataset.smsFix === 'all' ? fixes : [fixes[Number(b.dataset.smsFix)]];
          var el = $('t-sms');
          chosen.forEach(function (f) { el.value = el.value.split(f.from).join(f.to); });
          el.dispatchEvent(new Event('input', { bubbles: true }));
          el.focus();
        });
      });
    }).catch(function (err) {
      if (my === smsSeq) $('sms-count').textContent = 'Kan ikke telle SMS-en: ' + B.problemText(err);
    });
  }

  function buildContentEditors() {
    var key = category() + '|' + channels().join(',');
    if (built === key) return;
    built = key;
    var ch = channels();
    var box = $('content-channels');
    box.innerHTML = '<div class="field"><label for="t-pick">Mal</label><select id="t-pick"><option value="">Skriv ny melding</option></select></div>' +
      '<p id="t-shared" class="small muted" aria-live="polite"></p>' +
      ch.map(editorHtml).join('') +
      '<ul id="template-errors" class="errors-list" hidden></ul>' +
      '<div class="grid2" id="preview-controls"><div class="field"><label for="pv-lang">Forhåndsvis på</label><select id="pv-lang"><option value="">Medlemmets eget språk</option>' +
      LANGS.map(function (l) { return '<option value="' + l + '">' + LANG_LABEL[l] + '</option>'; }).join('') + '</select></div>' +
      '<div class="field"><label for="pv-member">Forhåndsvis for et medlem (navn, medlemsnummer, e-post eller telefon)</label><input id="pv-member" list="pv-member-list" autocomplete="off" value="' + B.esc(state.previewMember) + '"><datalist id="pv-member-list"></datalist></div></div>' +
      '<div class="actions"><button type="button" id="t-preview" class="primary">Lagre og forhåndsvis</button></div>';
    $('pv-lang').value = state.previewLang;
    if (!state.content.nb && !state.templateId) state.content.nb = { subject: DEFAULTS.subject, mjml: DEFAULTS.mjml, sms: DEFAULTS.sms, letter: DEFAULTS.letter };
    fillEditors();
    box.addEventListener('input', function (e) {
      if (!/^t-(subject|mjml|sms|letter)$/.test(e.target.id)) return;
      if (e.target.id === 't-sms') scheduleSmsCount(150);
      readEditors(); state.version = null; state.versionId = null; state.languages = null; renderLinks(); fillEditors(); saveDraft();
    });
    renderLinks();
    $('t-preview').addEventListener('click', function () { if (!busy) saveAndPreview(); });
    $('pv-lang').addEventListener('change', function () { state.previewLang = $('pv-lang').value; if (state.version) preview().catch(fail); });
    var memberTimer = null;
    $('pv-member').addEventListener('input', function () {
      clearTimeout(memberTimer);
      var q = $('pv-member').value.trim();
      memberTimer = setTimeout(function () { if (q.length >= 2) findMembers(q); }, 250);
    });
    $('pv-member').addEventListener('change', function () {
      var v = $('pv-member').value.trim();
      var m = /^([A-Za-z0-9-]{1,20})(\s|$)/.exec(v);
      state.previewMember = m ? m[1] : '';
      if (state.version) preview().catch(fail);
    });
    B.api('GET', '/api/templates?category=' + encodeURIComponent(category())).then(function (r) {
      (r.templates || []).forEach(function (t) {
        var o = document.createElement('option');
        o.value = t.id;
        var latest = t.latestVersion && typeof t.latestVersion === 'object' ? t.latestVersion.version : (t.latestVersion || t.version);
        o.textContent = t.name + (latest ? ' (v' + latest + ')' : '') + (t.builtIn ? ' – innebygd' : '');
        $('t-pick').appendChild(o);
      });
      if (state.templateId) $('t-pick').value = String(state.templateId);
    }).catch(function () { /* writing a new one still works */ });
    $('t-pick').addEventListener('change', function () {
      var id = $('t-pick').value;
      if (!id) {
        state.templateId = null; state.version = null; state.versionId = null; state.languages = null; state.shared = false; state.usedBy = [];
        state.content = { nb: { subject: DEFAULTS.subject, mjml: DEFAULTS.mjml, sms: DEFAULTS.sms, letter: DEFAULTS.letter }, nn: null, en: null };
        state.dirty = { nb: true }; fillEditors(); sharedNote(); renderLinks(); return;
      }
      loadTemplate(Number(id)).then(preview).catch(fail);
    });
    sharedNote();
  }

  /** A template's latest version into the editors, with who else uses it. */
  function loadTemplate(id, version) {
    return B.api('GET', '/api/templates/' + id + (version ? '?version=' + version : '')).then(function (r) {
      var langs = (r.version && r.version.languages) || {};
      state.content = { nb: langs.nb || null, nn: langs.nn || null, en: langs.en || null };
      state.dirty = {};
      state.languages = r.version ? r.version.languages : null;
      state.templateId = Number(id);
      state.templateName = r.template.name;
      state.version = r.version ? r.version.version : null;
      state.versionId = r.version ? r.version.id : null;
      state.baseVersion = r.versions && r.versions.length ? r.versions[0].version : state.version;
      state.builtIn = !!r.template.builtIn;
      state.usedBy = (r.usedBy || []).filter(function (c) { return !state.campaign || c.id !== state.campaign.id; });
      state.shared = state.builtIn || state.usedBy.length > 0;
      state.saveMode = null;
      fillEditors();
      sharedNote();
      renderLinks();
      saveDraft();
    });
  }
  function usedByText() {
    return state.usedBy.slice(0, 5).map(function (c) { return '«' + c.name + '» (' + B.label('campaign', c.state).toLowerCase() + ')'; }).join(', ') +
      (state.usedBy.length > 5 ? ' og ' + (state.usedBy.length - 5) + ' til' : '');
  }
  function sharedNote() {
    var el = $('t-shared');
    if (!el) return;
    el.textContent = !state.templateId ? '' : state.shared
      ? (state.builtIn ? 'Dette er en innebygd mal. ' : '') + (state.usedBy.length ? 'Malen brukes også av ' + usedByText() + '. ' : '') + 'Når du endrer den, velger du om endringen bare gjelder denne kampanjen eller alle.'
      : '';
  }

  function findMembers(q) {
    B.api('GET', '/api/members?limit=8&q=' + encodeURIComponent(q)).then(function (r) {
      var list = $('pv-member-list');
      list.innerHTML = (r.members || []).map(function (m) {
        return '<option value="' + B.esc(m.memberNumber + ' ' + m.lastName + ', ' + m.firstName) + '"></option>';
      }).join('');
    }).catch(function () { /* the number can still be typed */ });
  }

  // ------------------------------------------------------------------ links the template uses ({{links.name}})
  /** Every link name the content uses: the chosen version's languages, or what is being written. */
  function linkNames() {
    var names = [];
    readEditors();
    var langs = state.languages || state.content;
    Object.keys(langs).forEach(function (l) {
      var c = langs[l] || {};
      ['subject', 'mjml', 'sms', 'letter'].forEach(function (k) {
        var re = /\{\{[{#\/~\s]*(?:[a-z]+\s+)?links\.([A-Za-z0-9_-]+)/g;
        var m;
        while ((m = re.exec(c[k] || ''))) if (names.indexOf(m[1]) < 0) names.push(m[1]);
      });
    });
    return names.sort();
  }
  function linkInputId(name) { return 'link-' + name; }
  /** The "Lenker" fieldset: one URL input per link name; what was typed is kept when the list changes. */
  function renderLinks() {
    var box = $('content-links');
    if (!box) return;
    var names = linkNames();
    names.forEach(function (n) { if (state.links[n] === undefined) state.links[n] = ''; });
    var shown = Array.prototype.map.call(box.querySelectorAll('input[data-link]'), function (i) { return i.dataset.link; });
    if (shown.join(',') === names.join(',')) return;
    if (!names.length) { box.innerHTML = ''; box.hidden = true; return; }
    box.hidden = false;
    box.innerHTML = '<fieldset id="links-fieldset"><legend>Lenker</legend><p class="small muted">Malen bruker disse lenkene. Skriv inn adressen (https://…) for hver.</p>' +
      names.map(function (n) {
        return '<div class="field"><label for="' + B.esc(linkInputId(n)) + '">Lenke «' + B.esc(n) + '»</label><input type="url" id="' + B.esc(linkInputId(n)) +
          '" data-link="' + B.esc(n) + '" placeholder="https://" value="' + B.esc(state.links[n] || '') + '" inputmode="url" autocomplete="url"></div>';
      }).join('') + '</fieldset>';
  }
  function links() {
    var out = {};
    linkNames().forEach(function (n) { var v = (state.links[n] || '').trim(); if (v) out[n] = v; });
    return out;
  }
  function missingLinks() {
    return linkNames().filter(function (n) { return !/^https?:\/\/\S+$/i.test((state.links[n] || '').trim()); });
  }
  document.addEventListener('input', function (e) {
    var el = e.target;
    if (el && el.dataset && el.dataset.link !== undefined) state.links[el.dataset.link] = el.value;
  });
  // A finished link address shows in the preview (the saved version is unchanged: links belong to the campaign).
  document.addEventListener('change', function (e) {
    var el = e.target;
    if (el && el.dataset && el.dataset.link !== undefined && state.templateId && state.version && /^https?:\/\/\S+$/i.test(el.value.trim())) preview().catch(fail);
  });

  function content() {
    readEditors();
    return state.content.nb || {};
  }

  /** What changed, per language: the channels this campaign edits; empty text removes that channel's variant. */
  function languagesPatch() {
    readEditors();
    var patch = {};
    LANGS.forEach(function (l) {
      if (!state.dirty[l] && !(l === 'nb' && !state.templateId)) return;
      var c = state.content[l] || {};
      var out = {};
      channels().forEach(function (ch) { FIELDS[ch].forEach(function (f) { out[f] = c[f] ? c[f] : null; }); });
      patch[l] = out;
    });
    return patch;
  }
  function fullLanguages() {
    var patch = languagesPatch();
    var out = {};
    LANGS.forEach(function (l) {
      var c = patch[l];
      if (!c) return;
      if (l !== 'nb' && !Object.keys(c).some(function (k) { return k !== 'subject' && c[k]; })) return;
      out[l] = { subject: c.subject || null, mjml: c.mjml || null, sms: c.sms || null, letter: c.letter || null };
    });
    return out;
  }

  /** A shared template (built in, or used by other campaigns): a copy for this campaign, or a new version for everyone? */
  function askSaveMode() {
    if (!state.templateId || !state.shared || state.saveMode) return Promise.resolve(state.saveMode || 'version');
    return new Promise(function (resolve) {
      var d = $('save-mode');
      $('save-mode-text').textContent = (state.builtIn ? '«' + state.templateName + '» er en innebygd mal' : '«' + state.templateName + '» er en delt mal') +
        (state.usedBy.length ? ' som også brukes av ' + usedByText() : '') + '. En ny versjon gjelder kampanjer som lages fra nå av; kampanjer som er startet, beholder sin versjon.';
      d.returnValue = '';
      d.onclose = function () { resolve(d.returnValue || null); };
      d.showModal();
    });
  }

  function saveAndPreview() {
    return once(function () {
      var errs = $('template-errors');
      errs.hidden = true;
      return askSaveMode().then(function (mode) {
        if (!mode) return false;
        if (state.templateId && state.shared) state.saveMode = mode;
        var patch = languagesPatch();
        var save;
        if (state.templateId && !Object.keys(patch).length && state.version) save = Promise.resolve();
        else if (state.templateId && mode === 'copy') {
          save = B.api('POST', '/api/templates/' + state.templateId + '/copy', {
            name: (state.templateName + ' – ' + ($('c-name').value.trim() || 'kampanje')).slice(0, 200), languages: Object.keys(patch).length ? patch : undefined, idempotencyKey: state.keys.copy,
          }).then(function (t) { adopt(t.template, t.version); state.shared = false; state.builtIn = false; state.usedBy = []; state.saveMode = null; });
        } else if (state.templateId) {
          save = B.api('POST', '/api/templates/' + state.templateId + '/versions', { languages: patch, basedOn: state.baseVersion }).then(function (v) {
            adopt(null, v);
          });
        } else {
          save = B.api('POST', '/api/templates', {
            key: 'kampanje-' + state.keys.template.slice(0, 16), name: $('c-name').value.trim() || 'Kampanje', category: category(), languages: fullLanguages(), idempotencyKey: state.keys.template,
          }).then(function (t) { adopt(t.template, t.version); });
        }
        return save.then(function () { sharedNote(); saveDraft(true); return preview(); }).then(function () { return true; });
      }).catch(function (err) {
        if (err.status === 422 && err.problem.errors) { showTemplateErrors(err.problem.errors); return false; }
        fail(err);
        return false;
      });
    });
  }
  /** After a save: the stored version is what the editors show. */
  function adopt(template, version) {
    if (template) { state.templateId = template.id; state.templateName = template.name; }
    state.version = version.version;
    state.versionId = version.id;
    state.baseVersion = version.version;
    state.languages = version.languages;
    state.content = { nb: version.languages.nb || null, nn: version.languages.nn || null, en: version.languages.en || null };
    state.dirty = {};
    fillEditors();
  }

  var FIELD_EDITOR = { mjml: 't-mjml', subject: 't-subject', sms: 't-sms', letter: 't-letter' };
  function showTemplateErrors(list) {
    var errs = $('template-errors');
    errs.hidden = false;
    errs.setAttribute('role', 'alert');
    errs.innerHTML = list.map(function (e, i) {
      var part = String(e.field || '').split('.').pop();
      var label = { mjml: 'E-post', subject: 'Emne', sms: 'SMS', letter: 'Brev' }[part] || e.field;
      return '<li><button type="button" class="link" data-err="' + i + '">' + B.esc(label) + ', linje ' + e.line + (e.column ? ', kolonne ' + e.column : '') + '</button>: ' + B.esc(e.message) + '</li>';
    }).join('');
    errs.querySelectorAll('button[data-err]').forEach(function (b) {
      b.addEventListener('click', function () {
        var e = list[Number(b.dataset.err)];
        var ta = $(FIELD_EDITOR[String(e.field).split('.').pop()]);
        if (!ta) return;
        var lines = ta.value.split('\n');
        var start = 0;
        for (var i = 0; i < Math.min(e.line - 1, lines.length); i++) start += lines[i].length + 1;
        ta.focus();
        ta.setSelectionRange(start, start + (lines[e.line - 1] || '').length);
      });
    });
    $('preview').innerHTML = '';
  }

  function preview() {
    var pv = { version: state.version };
    if (state.previewLang) pv.language = state.previewLang;
    if (state.previewMember) pv.memberNumber = state.previewMember;
    var given = {};
    var l = links();
    Object.keys(l).forEach(function (n) { if (/^https?:\/\/\S+$/i.test(l[n])) given[n] = l[n]; });
    if (Object.keys(given).length) pv.links = given;
    return B.api('POST', '/api/templates/' + state.templateId + '/preview', pv).then(function (p) {
      state.preview = p;
      var out = [];
      // The template may have content for channels this campaign does not use: show only the campaign's.
      var used = channels();
      if (used.indexOf('email') < 0) p.email = null;
      if (used.indexOf('sms') < 0) p.sms = null;
      if (used.indexOf('letter') < 0) p.letter = null;
      if (p.email) {
        out.push('<section class="card" aria-labelledby="pv-desktop"><h3 id="pv-desktop">E-post på datamaskin</h3><p><strong>Emne:</strong> <span id="pv-subject">' + B.esc(p.email.subject) + '</span></p>' +
          '<iframe class="desktop" id="pv-email-desktop" title="Forhåndsvisning av e-post, datamaskin" sandbox=""></iframe></section>');
        out.push('<section class="card" aria-labelledby="pv-phone"><h3 id="pv-phone">E-post på mobil</h3><iframe class="phone" id="pv-email-phone" title="Forhåndsvisning av e-post, mobil" sandbox=""></iframe></section>');
      }
      if (p.sms) {
        var i = p.sms.info;
        out.push('<section class="card" aria-labelledby="pv-sms"><h3 id="pv-sms">SMS</h3><div class="sms-bubble" id="pv-sms-text">' + B.esc(p.sms.text) + '</div><p id="pv-sms-info">' +
          B.num(i.characters) + ' tegn · ' + (i.encoding === 'GSM-7' || i.encoding === 'gsm7' ? 'GSM-7' : 'UCS-2') + ' · <strong>' + i.segments + ' SMS-segment' + (i.segments === 1 ? '' : 'er') + '</strong></p>' +
          (i.warnings || []).map(function (w) { return '<p class="warn">' + B.esc(w) + '</p>'; }).join('') + '</section>');
      }
      if (p.letter) {
        out.push('<section class="card" aria-labelledby="pv-letter"><h3 id="pv-letter">Brev (PDF, ' + p.letter.pages + ' side' + (p.letter.pages === 1 ? '' : 'r') + ')</h3>' +
          '<p><a href="' + B.esc(p.letter.url) + '" target="_blank" rel="noopener" id="pv-letter-link">Åpne brevet som PDF</a></p>' +
          '<iframe class="desktop" title="Forhåndsvisning av brev" src="' + B.esc(p.letter.url) + '"></iframe></section>');
      }
      var who = p.member && !p.member.sample ? 'medlem nr. ' + p.member.memberNumber : 'et eksempelmedlem';
      out.unshift('<p id="pv-who" class="small">Forhåndsvist på <strong>' + B.esc(LANG_LABEL[p.language] || p.language).toLowerCase() + '</strong> for ' + B.esc(who) + '.</p>');
      $('preview').innerHTML = out.join('');
      if (p.email) {
        $('pv-email-desktop').srcdoc = p.email.html;
        $('pv-email-phone').srcdoc = p.email.html;
      }
    });
  }

  // ------------------------------------------------------------------ step 3: schedule, test send (creates the draft)
  document.querySelectorAll('input[name="when"]').forEach(function (r) {
    r.addEventListener('change', function () { $('send-at').disabled = !$('when-later').checked; });
  });

  function campaignBody() {
    // One template version for every channel: its id when known, else the template and its version number.
    var templates = {};
    channels().forEach(function (ch) { templates[ch] = state.versionId ? state.versionId : { templateId: state.templateId, version: state.version }; });
    // datetime-local is Norwegian wall-clock time in the browser; the API takes an instant.
    var sendAt = $('when-later').checked && $('send-at').value ? new Date($('send-at').value).toISOString() : null;
    return {
      name: $('c-name').value.trim(),
      category: category(),
      channels: channels(),
      audience: audienceFilter(),
      templates: templates,
      links: links(),
      sendAt: sendAt,
    };
  }

  function saveCampaign() {
    var body = campaignBody();
    if (!state.campaign) body.idempotencyKey = state.keys.campaign;
    var p = state.campaign
      ? B.api('PATCH', '/api/campaigns/' + state.campaign.id, body)
      : B.api('POST', '/api/campaigns', body);
    return p.then(function (c) { state.campaign = c.campaign || c; saveDraft(true); return true; }).catch(function (err) {
      // A missing link is fixed in the content step: go there and point at the field.
      var linkErr = ((err.problem && err.problem.errors) || []).filter(function (e) { return /^body\.links\./.test(e.field || ''); })[0];
      if (linkErr && state.step !== 2) show(2);
      fail(err);
      if (linkErr) { var el = $(linkInputId(linkErr.field.slice('body.links.'.length))); if (el) el.focus(); }
      return false;
    });
  }

  // The test goes to the signed-in user's own address unless they type others.
  B.api('GET', '/api/me').then(function (me) {
    var email = me && (me.email || (me.staff && me.staff.email));
    if (email && !$('test-to').value) $('test-to').value = email;
  }).catch(function () { /* typed by hand */ });

  $('test-send').addEventListener('click', function () {
    var to = $('test-to').value.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
    var out = $('test-result');
    if (!to.length) { out.className = 'warn'; out.textContent = 'Skriv minst én adresse.'; return; }
    saveCampaign().then(function (ok) {
      if (!ok) return;
      return B.api('POST', '/api/campaigns/' + state.campaign.id + '/test', { to: to }).then(function (r) {
        var sent = (r && r.sent) || to.map(function (t) { return { to: t }; });
        out.className = 'ok';
        out.textContent = 'Testen er sendt til ' + sent.map(function (s) { return s.to + (s.channel ? ' (' + B.label('channel', s.channel) + ')' : ''); }).join(', ') + '.';
      });
    }).catch(function (err) { B.showError(out, err); });
  });

  // ------------------------------------------------------------------ step 4: review (the server's: counts, fallback languages, overlaps)
  function filterText() {
    var out = [];
    document.querySelectorAll('section.step[data-step="1"] fieldset select, section.step[data-step="1"] fieldset input[type=date]').forEach(function (el) {
      if (!el.value || !el.id || el.id.indexOf('f-') !== 0) return;
      var label = document.querySelector('label[for="' + el.id + '"]').textContent;
      var val = el.tagName === 'SELECT' ? Array.prototype.map.call(el.selectedOptions, function (o) { return o.textContent; }).join(' eller ') : el.value;
      out.push(label + ': ' + val);
    });
    return out;
  }
  function reachableOf(c) { return (c.total || 0) - (c.unreachable || 0); }
  function renderReview() {
    var box = $('review');
    box.innerHTML = '<p class="muted">Henter oppsummeringen …</p>';
    if (!state.campaign) return;
    B.api('GET', '/api/campaigns/' + state.campaign.id + '/review').then(function (r) {
      var rv = r.review;
      state.review = rv;
      var c = rv.preview;
      state.counts = c;
      var per = c.byChannel || {};
      var when = $('when-later').checked ? B.dt(new Date($('send-at').value)) : 'Straks kampanjen startes';
      var ft = filterText();
      box.innerHTML = (rv.warnings.length ? '<div class="warn" role="status" id="review-warnings"><ul>' + rv.warnings.map(function (w) { return '<li>' + B.esc(w) + '</li>'; }).join('') + '</ul></div>' : '') +
        '<dl class="facts" id="review-list">' +
        '<div><dt>Navn</dt><dd>' + B.esc($('c-name').value) + '</dd></div>' +
        '<div><dt>Kategori</dt><dd>' + B.esc((state.categories[category()] || {}).nameNb || category()) + '</dd></div>' +
        '<div><dt>Hvem</dt><dd>' + (complexFilter() ? B.esc(rv.audienceText) : ft.length ? B.esc(ft.join('; ')) : 'Alle medlemmer') + '</dd></div>' +
        '<div><dt>Hva</dt><dd>' + rv.content.map(function (x) {
          return B.esc(B.label('channel', x.channel) + ': ' + x.templateName + ' v' + x.version + ' (' + x.languages.map(function (l) { return LANG_LABEL[l]; }).join(', ') + ')');
        }).join('<br>') + (state.preview && state.preview.email ? '<br>Emne: «' + B.esc(state.preview.email.subject) + '»' : '') + '</dd></div>' +
        '<div><dt>Når</dt><dd>' + B.esc(when) + '</dd></div>' +
        '<div><dt>Hvor mange</dt><dd>' + B.num(c.total) + ' i målgruppen: ' + channels().map(function (ch) { return B.label('channel', ch) + ' ' + B.num(per[ch]); }).join(', ') +
        ', ' + B.num(c.unreachable) + ' kan ikke nås</dd></div>' +
        (rv.sms && rv.sms.length ? '<div><dt>SMS-lengde</dt><dd id="review-sms">' + rv.sms.map(function (x) {
          return B.esc(LANG_LABEL[x.language] + ': ' + x.segments + ' segment' + (x.segments === 1 ? '' : 'er') + ' (' + x.encoding + ', ' + x.characters + ' tegn)');
        }).join('<br>') + '</dd></div>' : '') +
        '<div><dt>Språk</dt><dd id="review-fallback">' + (rv.fallback.length ? rv.fallback.map(function (f) {
          return B.esc(B.num(f.members) + ' med ' + LANG_LABEL[f.language].toLowerCase() + ' får ' + B.label('channel', f.channel).toLowerCase() + ' på bokmål');
        }).join('<br>') : 'Alle får meldingen på sitt eget språk') + '</dd></div>' +
        '</dl>';
    }).catch(function (err) { B.showError(box, err); });
  }

  // ------------------------------------------------------------------ step 5: launch, after a confirmation naming the count
  function confirmDialog(text, yes) {
    return new Promise(function (resolve) {
      var d = $('confirm');
      $('confirm-text').textContent = text;
      $('confirm-yes').textContent = yes;
      d.returnValue = '';
      d.onclose = function () { resolve(d.returnValue === 'yes'); };
      d.showModal();
    });
  }
  /** More than SMS_WARN_SEGMENTS segments: an explicit yes naming the count, before the launch's own confirmation. */
  function confirmLongSms(sms) {
    var long = sms.filter(function (x) { return x.segments > SMS_WARN_SEGMENTS; });
    if (!long.length) return Promise.resolve(true);
    var most = Math.max.apply(null, long.map(function (x) { return x.segments; }));
    return confirmDialog('SMS-en blir ' + long.map(function (x) { return x.segments + ' segmenter på ' + LANG_LABEL[x.language].toLowerCase(); }).join(' og ') +
      '. Hver mottaker får den som ' + most + ' SMS-er satt sammen, og den koster ' + most + ' ganger så mye som én SMS. Vil du sende så lang SMS?', 'Ja, send SMS på ' + most + ' segmenter');
  }
  $('launch').addEventListener('click', function () {
    var out = $('launch-result');
    var btn = $('launch');
    if (busy) return;
    if (!state.campaign) { fail({ message: 'Lagre kampanjen i steg 3 først.' }); return; }
    B.api('GET', '/api/campaigns/' + state.campaign.id + '/review').then(function (r) {
      var n = reachableOf(r.review.preview);
      if (n === 0) { B.showError(out, { message: 'Målgruppen er tom: ingen kan nås. Endre målgruppen før kampanjen startes.' }); return; }
      var when = $('when-later').checked ? ' ' + B.dt(new Date($('send-at').value)) : ' nå';
      return confirmLongSms(r.review.sms || []).then(function (ok) {
        if (!ok) { out.className = 'warn'; out.textContent = 'Kampanjen er ikke startet. Gjør SMS-en kortere i steg 2, eller bekreft lengden.'; return false; }
        return true;
      }).then(function (ok) { return ok && confirmDialog('Starte «' + $('c-name').value.trim() + '» til ' + B.num(n) + ' mottakere' + when + '?', 'Ja, start for ' + B.num(n) + ' mottakere'); }).then(function (yes) {
        if (!yes) return;
        btn.disabled = true;
        return once(function () { return B.api('POST', '/api/campaigns/' + state.campaign.id + '/launch', { idempotencyKey: state.keys.launch }); }).then(function (res) {
          if (!res) return;
          // 200: started or scheduled; 202 with approvalRequired: waits for a second staff user.
          var c = (res && res.campaign) || {};
          state.campaign = c.id ? c : state.campaign;
          var needsApproval = !!(res && res.approvalRequired);
          state.launched = needsApproval ? 'approval' : c.state;
          showLaunched();
          saveDraft(true);
        });
      });
    }).catch(function (err) {
      btn.disabled = false;
      B.showError(out, err);
    });
  });
  function showLaunched() {
    var out = $('launch-result');
    var c = state.campaign;
    var needsApproval = state.launched === 'approval';
    out.className = needsApproval ? 'warn' : 'ok';
    out.innerHTML = (needsApproval
      ? 'Kampanjen går til ' + B.num(c.audienceSize) + ' medlemmer, så en annen bruker må godkjenne den før den sendes. '
      : state.launched === 'scheduled' ? 'Kampanjen er planlagt og sendes ' + B.esc(B.dt(c.sendAt)) + '. ' : 'Kampanjen er startet. ') +
      '<a href="/app/campaigns/' + c.id + '" id="campaign-link">' + (needsApproval ? 'Gå til kampanjen' : 'Følg utsendingen') + '</a>';
    $('launch').hidden = true;
    document.querySelectorAll('section.step button[data-next]').forEach(function (b) { b.disabled = true; });
  }

  // ------------------------------------------------------------------ the wizard's state on the server (reload, back/forward)
  var params = new URLSearchParams(location.search);
  var draftKey = params.get('utkast') || newKey();
  if (!params.get('utkast')) { params.set('utkast', draftKey); history.replaceState(null, '', location.pathname + '?' + params.toString()); }
  var restoring = true;
  var draftTimer = null;
  function formState() {
    readEditors();
    var f = {};
    document.querySelectorAll('section.step[data-step="1"] select, section.step[data-step="1"] input').forEach(function (el) {
      if (!el.id) return;
      f[el.id] = el.multiple ? Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; }) : el.type === 'checkbox' ? el.checked : el.value;
    });
    return {
      v: 1, step: state.step, fields: f, when: $('when-later').checked ? 'later' : 'now', sendAt: $('send-at').value, testTo: $('test-to').value,
      content: state.content, chLang: state.chLang, dirty: state.dirty, templateId: state.templateId, templateName: state.templateName, version: state.version,
      versionId: state.versionId, baseVersion: state.baseVersion, shared: state.shared, builtIn: state.builtIn, usedBy: state.usedBy, saveMode: state.saveMode,
      links: state.links, keys: state.keys, launched: state.launched, campaign: state.campaign ? { id: state.campaign.id, sendAt: state.campaign.sendAt, audienceSize: state.campaign.audienceSize, state: state.campaign.state } : null,
      previewMember: state.previewMember, previewLang: state.previewLang,
    };
  }
  var draftSaving = Promise.resolve();
  var draftPending = false;
  /** One PUT at a time, in order, so an older state never lands after a newer one. */
  function putDraft(opts) {
    draftPending = false;
    var body = { state: formState(), campaignId: state.campaign ? state.campaign.id : null };
    draftSaving = draftSaving.then(function () {
      return B.api('PUT', '/api/campaign-drafts/' + draftKey, body, opts)
        .then(function () { document.body.dataset.draftSaved = String(Date.now()); })
        .catch(function () { /* the next change tries again */ });
    });
  }
  /**
   * Typing is saved after a pause; a step change at once, so a reload right after "Neste" comes back
   * to the step it reached (a debounced save alone lost the last step when staff reloaded quickly).
   */
  function saveDraft(now) {
    if (restoring) return;
    clearTimeout(draftTimer);
    if (now) { putDraft(); return; }
    draftPending = true;
    draftTimer = setTimeout(putDraft, 300);
  }
  document.addEventListener('change', function () { saveDraft(); });
  document.addEventListener('input', function () { saveDraft(); });
  // Leaving (reload, back, closing the tab) with typing not yet saved: send it on the way out.
  window.addEventListener('pagehide', function () {
    if (!draftPending || restoring) return;
    clearTimeout(draftTimer);
    putDraft({ keepalive: true });
  });

  function applyFields(fields) {
    Object.keys(fields).forEach(function (id) {
      var el = $(id);
      if (!el) return;
      if (el.multiple) Array.prototype.forEach.call(el.options, function (o) { o.selected = fields[id].indexOf(o.value) >= 0; });
      else if (el.type === 'checkbox') el.checked = !!fields[id];
      else el.value = fields[id];
    });
  }
  function restore(d) {
    applyFields(d.fields || {});
    if (d.when === 'later') { $('when-later').checked = true; $('send-at').disabled = false; }
    $('send-at').value = d.sendAt || '';
    if (d.testTo) $('test-to').value = d.testTo;
    ['content', 'chLang', 'dirty', 'templateId', 'templateName', 'version', 'versionId', 'baseVersion', 'shared', 'builtIn', 'usedBy', 'saveMode', 'links', 'keys', 'launched', 'campaign', 'previewMember', 'previewLang']
      .forEach(function (k) { if (d[k] !== undefined) state[k] = d[k]; });
    updateCounts();
    show(d.step || 1);
    if (d.step >= 2 && state.templateId && state.version) preview().catch(function () { /* shown on save */ });
    if (state.launched && state.campaign) { show(5); showLaunched(); }
  }
  /** Editing a saved draft campaign: its fields into the wizard (the simple filters the wizard itself writes). */
  function fromCampaign(id) {
    return B.api('GET', '/api/campaigns/' + id + '/review').then(function (r) {
      var c = r.campaign;
      if (c.state !== 'draft') { location.href = '/app/campaigns/' + c.id; return; }
      state.campaign = c;
      $('c-name').value = c.name;
      $('c-category').value = c.category;
      ['c-ch1', 'c-ch2', 'c-ch3'].forEach(function (sel, i) { $(sel).value = c.channels[i] || ''; });
      if (!applyFilter(c.audience)) fail({ message: 'Målgruppen til utkastet kan ikke vises i listene (den har vilkår som medlemsnumre eller nestede grupper). Lagre en ny målgruppe her for å erstatte den.' });
      state.links = c.links || {};
      if (c.sendAt) { $('when-later').checked = true; $('send-at').disabled = false; $('send-at').value = new Date(new Date(c.sendAt).getTime() - new Date(c.sendAt).getTimezoneOffset() * 60000).toISOString().slice(0, 16); }
      var first = r.review.content[0];
      updateCounts();
      if (first) return loadTemplate(first.templateId, first.version).then(function () { show(Number(params.get('steg')) || 1); });
      show(1);
    });
  }
  Promise.all([categoriesLoaded, referencesLoaded]).then(function () {
    if (params.get('kampanje')) return fromCampaign(Number(params.get('kampanje')));
    return B.api('GET', '/api/campaign-drafts/' + draftKey).then(function (d) { restore(d.state); }, function () { /* a new wizard */ });
  }).catch(fail).then(function () { restoring = false; document.body.dataset.wizardReady = '1'; });
})();
