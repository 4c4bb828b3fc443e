/* New campaign: audience → content → schedule and test → review → launch. */
(function () {
  'use strict';
  var B = window.Budstikke;
  var $ = function (id) { return document.getElementById(id); };
  var state = { step: 1, counts: null, templateId: null, version: null, versionId: null, templateName: null, preview: null, campaign: null, categories: {}, links: {}, languages: null };
  var errBox = $('wizard-error');

  // ------------------------------------------------------------------ the API in one place
  /**
   * The audience filter as the campaigns API takes it (issue 5: a joi-validated JSON filter with
   * AND/OR/NOT groups). Every chosen dropdown is one condition; all must hold.
   */
  function audienceFilter() {
    var all = [];
    var v = function (id) { return $(id).value; };
    if (v('f-status')) all.push({ status: [v('f-status')] });
    if (v('f-mcategory')) all.push({ category: [v('f-mcategory')] });
    if (v('f-county')) all.push({ county: [v('f-county')] });
    if (v('f-municipality')) all.push({ municipality: [v('f-municipality')] });
    if (v('f-employer')) all.push({ employer: [Number(v('f-employer'))] });
    if (v('f-workplace')) all.push({ workplace: [Number(v('f-workplace'))] });
    if (v('f-agreement')) all.push({ agreement: [Number(v('f-agreement'))] });
    if (v('f-branch')) all.push({ branch: [Number(v('f-branch'))] });
    if (v('f-club')) all.push({ club: [Number(v('f-club'))] });
    if (v('f-role')) all.push({ role: [v('f-role')] });
    if (v('f-language')) all.push({ language: [v('f-language')] });
    if (v('f-joined-after')) all.push({ joinedAfter: v('f-joined-after') });
    return { all: all };
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
  }
  function fail(err) { B.showError(errBox, err); errBox.scrollIntoView({ block: 'nearest' }); }

  document.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-next]');
    if (!b) return;
    var to = Number(b.dataset.next);
    if (to > state.step) {
      var check = validateStep(state.step);
      if (check) { fail({ message: check }); return; }
      if (state.step === 2 && !state.version) {
        saveAndPreview().then(function (ok) { if (ok) goFrom2(to); });
        return;
      }
      if (state.step === 2) { goFrom2(to); return; }
      if (state.step === 3) { saveCampaign().then(function (ok) { if (ok) show(to); }); return; }
    }
    show(to);
  });
  function goFrom2(to) { show(to); }

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
    return null;
  }

  // ------------------------------------------------------------------ step 1: audience and live counts
  var refSelects = document.querySelectorAll('select[data-source]');
  Array.prototype.forEach.call(refSelects, function (s) {
    if (s.dataset.source === 'categories') return;
    B.loadReference(s, s.dataset.source).catch(function () { /* shown empty */ });
  });
  B.api('GET', '/api/categories').then(function (r) {
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

  // Dependent dropdowns: municipalities of the county, workplaces of the employer, clubs of the branch.
  function narrow(parentId, childId, dataKey) {
    $(parentId).addEventListener('change', function () {
      var p = $(parentId).value;
      Array.prototype.forEach.call($(childId).options, function (o) {
        if (!o.value) return;
        o.hidden = !!p && o.dataset[dataKey] !== p;
      });
      if ($(childId).selectedOptions[0] && $(childId).selectedOptions[0].hidden) $(childId).value = '';
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
        '<tr><th scope="row">Kan ikke nås</th><td class="num" data-count="unreachable">' + B.num(r.unreachable) + '</td></tr></tbody></table>';
    }).catch(function (err) {
      if (my !== seq) return;
      box.innerHTML = '<p class="warn">Antallet kan ikke beregnes: ' + B.esc(B.problemText(err)) + '</p>';
    }).then(function () { box.removeAttribute('aria-busy'); });
  }

  // ------------------------------------------------------------------ step 2: content, preview
  var DEFAULTS = {
    subject: 'Hei {{firstName}}',
    mjml: '<mj-section>\n  <mj-column>\n    <mj-text>\n      <h1>Overskrift</h1>\n      <p>Hei {{firstName}}!</p>\n      <p>Skriv meldingen her.</p>\n    </mj-text>\n  </mj-column>\n</mj-section>',
    sms: 'Hei {{firstName}}! ',
    letter: '# Overskrift\n\nHei {{firstName}}!\n\nSkriv brevet her.',
  };
  var built = null;
  function buildContentEditors() {
    var key = category() + '|' + channels().join(',');
    if (built === key) return;
    built = key;
    var ch = channels();
    var box = $('content-channels');
    box.innerHTML = '<div class="field"><label for="t-pick">Mal</label><select id="t-pick"><option value="">Skriv ny melding</option></select></div>' +
      (ch.indexOf('email') >= 0 ? '<div class="channel-editor"><h3>E-post</h3><div class="field"><label for="t-subject">Emne</label><input id="t-subject"></div>' +
        '<div class="field"><label for="t-mjml">Innhold (MJML; flettefelt som {{firstName}})</label><textarea id="t-mjml" rows="14" spellcheck="false"></textarea></div></div>' : '') +
      (ch.indexOf('sms') >= 0 ? '<div class="channel-editor"><h3>SMS</h3><div class="field"><label for="t-sms">SMS-tekst</label><textarea id="t-sms" rows="4"></textarea></div><p id="sms-info" class="small muted" aria-live="polite"></p></div>' : '') +
      (ch.indexOf('letter') >= 0 ? '<div class="channel-editor"><h3>Brev</h3><div class="field"><label for="t-letter">Brevtekst (# overskrift, avsnitt, - lister, **fet**)</label><textarea id="t-letter" rows="10"></textarea></div></div>' : '') +
      '<ul id="template-errors" class="errors-list" hidden></ul>' +
      '<div class="actions"><button type="button" id="t-preview" class="primary">Lagre og forhåndsvis</button></div>';
    ['subject', 'mjml', 'sms', 'letter'].forEach(function (k) { var el = $('t-' + k); if (el) el.value = DEFAULTS[k]; });
    box.addEventListener('input', function () { state.version = null; state.versionId = null; state.languages = null; renderLinks(); });
    renderLinks();
    $('t-preview').addEventListener('click', saveAndPreview);
    B.api('GET', '/api/templates?category=' + encodeURIComponent(category())).then(function (r) {
      (r.templates || []).forEach(function (t) {
        var o = document.createElement('option');
        o.value = t.id;
        var latest = t.latestVersion && typeof t.latestVersion === 'object' ? t.latestVersion.version : (t.latestVersion || t.version);
        o.textContent = t.name + (latest ? ' (v' + latest + ')' : '');
        $('t-pick').appendChild(o);
      });
    }).catch(function () { /* writing a new one still works */ });
    $('t-pick').addEventListener('change', function () {
      var id = $('t-pick').value;
      if (!id) { state.templateId = null; state.version = null; state.versionId = null; state.languages = null; renderLinks(); return; }
      B.api('GET', '/api/templates/' + id).then(function (r) {
        var nb = (r.version && r.version.languages && r.version.languages.nb) || {};
        ['subject', 'mjml', 'sms', 'letter'].forEach(function (k) { var el = $('t-' + k); if (el) el.value = nb[k] || ''; });
        state.languages = r.version ? r.version.languages : null;
        renderLinks();
        state.templateId = Number(id);
        state.templateName = r.template.name;
        state.version = r.version ? r.version.version : null;
        state.versionId = r.version ? r.version.id : null;
        return preview();
      }).catch(fail);
    });
  }

  // ------------------------------------------------------------------ links the template uses ({{links.name}})
  /** Every link name the content uses: the chosen version's languages, or what is being written. */
  function linkNames() {
    var names = [];
    var langs = state.languages || { nb: content() };
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
    var get = function (k) { var el = $('t-' + k); return el ? el.value : null; };
    return { subject: get('subject'), mjml: get('mjml'), sms: get('sms'), letter: get('letter') };
  }

  function saveAndPreview() {
    var errs = $('template-errors');
    errs.hidden = true;
    var body = { languages: { nb: content() } };
    var save = state.templateId
      ? B.api('POST', '/api/templates/' + state.templateId + '/versions', body).then(function (v) { state.version = v.version; state.versionId = v.id; })
      : B.api('POST', '/api/templates', {
        key: 'kampanje-' + Date.now().toString(36), name: $('c-name').value.trim() || 'Kampanje', category: category(), languages: body.languages,
      }).then(function (t) {
        state.templateId = t.id || (t.template && t.template.id);
        state.templateName = t.name || (t.template && t.template.name);
        state.version = t.version && typeof t.version === 'object' ? t.version.version : (t.version || 1);
        state.versionId = t.version && typeof t.version === 'object' ? t.version.id : t.versionId;
      });
    return save.then(preview).then(function () { return true; }).catch(function (err) {
      if (err.status === 422 && err.problem.errors) { showTemplateErrors(err.problem.errors); return false; }
      fail(err);
      return false;
    });
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
        var info = $('sms-info');
        if (info) info.textContent = i.characters + ' tegn, ' + i.segments + ' segment(er)';
      }
      if (p.letter) {
        out.push('<section class="card" aria-labelledby="pv-letter"><h3 id="pv-letter">Brev (PDF, ' + p.letter.pages + ' side' + (p.letter.pages === 1 ? '' : 'r') + ')</h3>' +
          '<p><a href="' + B.esc(p.letter.url) + '" target="_blank" rel="noopener" id="pv-letter-link">Åpne brevet som PDF</a></p>' +
          '<iframe class="desktop" title="Forhåndsvisning av brev" src="' + B.esc(p.letter.url) + '"></iframe></section>');
      }
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
    var p = state.campaign
      ? B.api('PATCH', '/api/campaigns/' + state.campaign.id, body)
      : B.api('POST', '/api/campaigns', body);
    return p.then(function (c) { state.campaign = c.campaign || c; return true; }).catch(function (err) {
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

  // ------------------------------------------------------------------ step 4: review
  function renderReview() {
    var c = state.counts || {};
    var per = c.byChannel || c.reachable || c.channels || {};
    var filterText = [];
    document.querySelectorAll('section.step[data-step="1"] fieldset select, section.step[data-step="1"] fieldset input[type=date]').forEach(function (el) {
      if (!el.value) return;
      var label = document.querySelector('label[for="' + el.id + '"]').textContent;
      var val = el.tagName === 'SELECT' ? el.selectedOptions[0].textContent : el.value;
      filterText.push(label + ': ' + val);
    });
    var when = $('when-later').checked ? B.dt(new Date($('send-at').value)) : 'Straks kampanjen startes';
    $('review').innerHTML = '<dl class="facts" id="review-list">' +
      '<div><dt>Navn</dt><dd>' + B.esc($('c-name').value) + '</dd></div>' +
      '<div><dt>Kategori</dt><dd>' + B.esc((state.categories[category()] || {}).nameNb || category()) + '</dd></div>' +
      '<div><dt>Hvem</dt><dd>' + (filterText.length ? B.esc(filterText.join('; ')) : 'Alle medlemmer') + '</dd></div>' +
      '<div><dt>Hva</dt><dd>' + B.esc((state.templateName || 'Mal') + ' v' + state.version) + (state.preview && state.preview.email ? ' – «' + B.esc(state.preview.email.subject) + '»' : '') + '</dd></div>' +
      '<div><dt>Når</dt><dd>' + B.esc(when) + '</dd></div>' +
      '<div><dt>Hvor mange</dt><dd>' + B.num(c.total) + ' i målgruppen: ' + channels().map(function (ch) {
        var n = per[ch]; if (n && typeof n === 'object') n = n.reachable !== undefined ? n.reachable : n.count;
        return B.label('channel', ch) + ' ' + B.num(n);
      }).join(', ') + ', ' + B.num(c.unreachable) + ' kan ikke nås</dd></div></dl>';
  }

  // ------------------------------------------------------------------ step 5: launch
  $('launch').addEventListener('click', function () {
    var out = $('launch-result');
    var btn = $('launch');
    btn.disabled = true;
    var ready = state.campaign ? Promise.resolve(true) : saveCampaign();
    ready.then(function (ok) {
      if (!ok) { btn.disabled = false; return; }
      return B.api('POST', '/api/campaigns/' + state.campaign.id + '/launch', {}).then(function (r) {
        // 200: started or scheduled; 202 with approvalRequired: waits for a second staff user.
        var c = (r && r.campaign) || {};
        state.campaign = c.id ? c : state.campaign;
        var needsApproval = !!(r && r.approvalRequired);
        out.className = needsApproval ? 'warn' : 'ok';
        out.innerHTML = (needsApproval
          ? 'Kampanjen går til ' + B.num(c.audienceSize) + ' medlemmer, så en annen bruker må godkjenne den før den sendes. '
          : c.state === 'scheduled' ? 'Kampanjen er planlagt og sendes ' + B.esc(B.dt(c.sendAt)) + '. ' : 'Kampanjen er startet. ') +
          '<a href="/app/campaigns/' + state.campaign.id + '" id="campaign-link">' + (needsApproval ? 'Gå til kampanjen' : 'Følg utsendingen') + '</a>';
        if (!needsApproval) btn.hidden = true;
      });
    }).catch(function (err) {
      btn.disabled = false;
      if (err.status === 409 && /approv|godkjenn/i.test(err.message)) {
        out.className = 'warn';
        out.innerHTML = 'En annen bruker må godkjenne kampanjen før den sendes. <a href="/app/campaigns/' + state.campaign.id + '" id="campaign-link">Gå til kampanjen</a>';
        return;
      }
      B.showError(out, err);
    });
  });
})();
