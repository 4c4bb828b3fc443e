// @ts-check
/* New campaign: audience → content → schedule and test → review → launch. */
(function () {
  'use strict';
  var B = window.Budstikke;

  /**
   * The API's shapes as the wizard reads them (src/render/responses.ts, src/audience/responses.ts,
   * src/campaigns/responses.ts).
   * @typedef {'nb' | 'nn' | 'en'} Lang
   * @typedef {'email' | 'sms' | 'letter'} Channel
   * @typedef {'subject' | 'mjml' | 'sms' | 'letter'} Field
   * @typedef {'copy' | 'version'} SaveMode
   * @typedef {{ subject: string | null, mjml: string | null, sms: string | null, letter: string | null }} Content one language of a template version
   * @typedef {Partial<Record<Lang, Content>>} Languages
   * @typedef {{ id: number, version: number, languages: Languages }} TemplateVersion
   * @typedef {{ id: number, name: string, builtIn?: boolean, latestVersion?: { id: number, version: number } | null }} TemplateSummary
   * @typedef {{ id: number, name: string, state: string }} UsedBy a campaign using a template
   * @typedef {{ template: TemplateSummary, versions: { id: number, version: number }[], version: TemplateVersion | null, usedBy?: UsedBy[] }} TemplateDetail
   * @typedef {{ field?: string, message: string, line?: number, column?: number }} TemplateError
   * @typedef {{ code: string, nameNb: string, declinable: boolean, channels: string[] }} Category
   * @typedef {{ total: number, unreachable: number, byChannel?: Record<string, number>, unreachableReasons?: Record<string, number> }} AudiencePreview
   * @typedef {{ id: number, name: string, filter: unknown }} SavedAudience
   * @typedef {{ [key: string]: unknown, all?: FilterNode[], any?: FilterNode[], not?: FilterNode }} FilterNode an audience filter (src/audience: leaves; all, any and not groups)
   * @typedef {{ id: number, name?: string, category?: string, channels?: string[], state?: string, audience?: unknown, links?: Record<string, string>, sendAt?: string | null, audienceSize?: number | null }} Campaign
   * @typedef {{ from: string, to: string, label: string }} SmsReplacement
   * @typedef {{ characters: number, encoding: string, segments: number, warnings?: string[] }} SmsInfo
   * @typedef {SmsInfo & { ok: boolean, merged: boolean, optOut: boolean, warnings: string[], replacements?: SmsReplacement[] }} DraftSmsInfo
   * @typedef {{
   *   language: Lang, member?: { memberNumber: string, sample: boolean },
   *   email: { subject: string, html: string } | null, sms: { text: string, info: SmsInfo } | null, letter: { pages: number, url: string } | null,
   * }} Preview
   * @typedef {{ language: Lang, segments: number, encoding: string, characters: number }} ReviewSms
   * @typedef {{
   *   audienceText: string, preview: AudiencePreview, warnings: string[], sms?: ReviewSms[],
   *   content: { channel: string, templateId: number, templateName: string, version: number, languages: Lang[] }[],
   *   fallback: { language: Lang, channel: string, members: number }[],
   * }} Review
   * @typedef {{ template: string, copy: string, campaign: string, launch: string }} FormKeys one idempotency key per form
   */

  /** A random key for one form submit: the server answers a repeat with what the first one made. */
  function newKey() { var a = new Uint8Array(12); crypto.getRandomValues(a); return Array.from(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join(''); }
  /** @type {Lang[]} */
  var LANGS = ['nb', 'nn', 'en'];
  /** @param {unknown} v @returns {v is Lang} */
  function isLang(v) { return v === 'nb' || v === 'nn' || v === 'en'; }
  /** @param {unknown} v @returns {v is Channel} */
  function isChannel(v) { return v === 'email' || v === 'sms' || v === 'letter'; }
  /** A language's name from the one vocabulary (B.label). @param {string} l */
  function langName(l) { return B.label('language', l); }
  /** Above this many segments an SMS costs more and reads poorly: the launch asks first (SMS_WARN_SEGMENTS in src/render/sms.ts). */
  var SMS_WARN_SEGMENTS = 3;

  // ------------------------------------------------------------------ the page's elements
  /** @param {string} id */
  function input(id) { return B.byId(id, HTMLInputElement); }
  /** @param {string} id */
  function select(id) { return B.byId(id, HTMLSelectElement); }
  /**
   * An element that is there only sometimes (an editor of a channel not chosen, a NOT box): null when absent.
   * @template {Element} T
   * @param {string} id
   * @param {{ new (): T, prototype: T }} type
   * @returns {T | null}
   */
  function optional(id, type) { var el = document.getElementById(id); return el instanceof type ? el : null; }
  /**
   * The elements under root matching sel, of this type.
   * @template {Element} T
   * @param {ParentNode} root
   * @param {string} sel
   * @param {{ new (): T, prototype: T }} type
   * @returns {T[]}
   */
  function all(root, sel, type) {
    return Array.from(root.querySelectorAll(sel)).filter(/** @param {Element} el @returns {el is T} */ function (el) { return el instanceof type; });
  }
  /** The content editor of a field (the subject is an input, the texts are textareas), when its channel is shown. @param {Field} f */
  function editorOf(f) {
    var el = document.getElementById('t-' + f);
    return el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement ? el : null;
  }

  var state = {
    step: 1,
    /** @type {AudiencePreview | null} */ counts: null,
    /** @type {number | null} */ templateId: null,
    /** @type {number | null} */ version: null,
    /** @type {number | null} */ versionId: null,
    /** The version an edit started from (the server refuses a save when a newer one came meanwhile). @type {number | undefined} */ baseVersion: undefined,
    /** @type {string | null} */ templateName: null,
    /** @type {Preview | null} */ preview: null,
    /** @type {Campaign | null} */ campaign: null,
    /** @type {Record<string, Category>} */ categories: {},
    /** @type {Record<string, string>} */ links: {},
    /** @type {Languages | null} */ languages: null,
    // The content being written, per language; which language each channel's editor shows; what changed since the last save.
    /** @type {Record<Lang, Content | null>} */ content: { nb: null, nn: null, en: null },
    /** @type {Record<Channel, Lang>} */ chLang: { email: 'nb', sms: 'nb', letter: 'nb' },
    /** @type {Partial<Record<Lang, boolean>>} */ dirty: {},
    shared: false, builtIn: false,
    /** @type {UsedBy[]} */ usedBy: [],
    /** @type {SaveMode | null} */ saveMode: null,
    previewMember: '',
    /** @type {Lang | ''} */ previewLang: '',
    /** @type {FormKeys} */ keys: { template: newKey(), copy: newKey(), campaign: newKey(), launch: newKey() },
    /** 'approval', or the launched campaign's state. @type {string | null | undefined} */ launched: null,
    /** @type {Review | null} */ review: null,
  };
  var errBox = B.byId('wizard-error');
  var busy = false;

  // ------------------------------------------------------------------ the API in one place
  /** The filter lists of step 1 and the audience leaf each writes (numeric: ids). @type {{ id: string, key: string, num?: boolean }[]} */
  var FILTERS = [
    { id: 'f-status', key: 'status' }, { id: 'f-mcategory', key: 'category' }, { id: 'f-county', key: 'county' }, { id: 'f-municipality', key: 'municipality' },
    { id: 'f-employer', key: 'employer', num: true }, { id: 'f-workplace', key: 'workplace', num: true }, { id: 'f-agreement', key: 'agreement', num: true },
    { id: 'f-branch', key: 'branch', num: true }, { id: 'f-club', key: 'club', num: true }, { id: 'f-role', key: 'role' }, { id: 'f-language', key: 'language' },
  ];
  /** The chosen values of a list (a multiple select: any number; none is everyone). @param {string} id @returns {string[]} */
  function chosen(id) {
    return Array.from(select(id).selectedOptions).filter(function (o) { return o.value && !o.hidden; }).map(function (o) { return o.value; });
  }
  /**
   * The audience filter as the campaigns API takes it (issue 5: a joi-validated JSON filter with
   * AND/OR/NOT groups). Every list with a choice is one condition, its values joined by "or",
   * turned into NOT by its "alle unntatt" box; the conditions are joined by "og" or "eller"
   * (f-join). Member status always holds, whatever the join.
   * @returns {{ all: FilterNode[] }}
   */
  function audienceFilter() {
    /** @type {FilterNode[]} */
    var every = [];
    /** @type {FilterNode[]} */
    var leaves = [];
    FILTERS.forEach(function (f) {
      var vs = chosen(f.id);
      if (!vs.length) return;
      /** @type {FilterNode} */
      var leaf = {};
      leaf[f.key] = f.num ? vs.map(Number) : vs;
      if (f.id === 'f-status') { every.push(leaf); return; }
      var not = optional('n-' + f.id, HTMLInputElement);
      leaves.push(not && not.checked ? { not: leaf } : leaf);
    });
    var joinedAfter = input('f-joined-after').value;
    if (joinedAfter) leaves.push({ joinedAfter: joinedAfter });
    if (select('f-join').value === 'any' && leaves.length > 1) every.push({ any: leaves });
    else every = every.concat(leaves);
    return { all: every };
  }
  /** Whether the filter is more than "all of these lists": the review then uses the server's words for it. */
  function complexFilter() {
    return select('f-join').value === 'any' || all(document, 'input[data-not-of]', HTMLInputElement).some(function (c) { return c.checked && chosen(c.dataset.notOf || '').length > 0; });
  }
  /**
   * A filter tree into the lists (a saved audience, a draft campaign). Only the shapes the lists
   * can show: status, then leaves (or NOT leaves) joined by all or by one "any". Anything else
   * (member numbers, nested groups) answers false and leaves the lists as they were.
   * @param {unknown} filter a filter as the API stores it
   * @returns {boolean}
   */
  function applyFilter(filter) {
    /** @type {Record<string, string>} */
    var MAP = {};
    FILTERS.forEach(function (f) { MAP[f.key] = f.id; });
    var root = filter && typeof filter === 'object' ? /** @type {FilterNode} */ (filter) : null;
    /** @type {(FilterNode | null | undefined)[]} */
    var top = root && root.all ? root.all : [root];
    /** @type {(FilterNode | null | undefined)[]} */
    var leaves = [];
    var join = 'all';
    var ok = true;
    top.forEach(function (n) {
      if (n && n.any) { if (join === 'any') ok = false; join = 'any'; leaves = leaves.concat(n.any); } else leaves.push(n);
    });
    var plan = leaves.map(function (leaf) {
      var not = !!(leaf && leaf.not);
      var l = leaf && leaf.not ? leaf.not : leaf;
      var k = Object.keys(l || {})[0];
      var v = l ? l[k] : undefined;
      if (k === 'joinedAfter' && !not) return { k: k, v: [v === null || v === undefined ? '' : String(v)], not: false };
      if (!MAP[k] || !Array.isArray(v) || (not && k === 'status')) { ok = false; return null; }
      return { k: k, v: v.map(String), not: not };
    });
    if (!ok) return false;
    FILTERS.forEach(function (f) {
      Array.from(select(f.id).options).forEach(function (o) { o.selected = false; o.hidden = false; });
      var n = optional('n-' + f.id, HTMLInputElement);
      if (n) n.checked = false;
    });
    input('f-joined-after').value = '';
    select('f-join').value = join;
    plan.forEach(function (p) {
      if (!p) return;
      if (p.k === 'joinedAfter') { input('f-joined-after').value = p.v[0]; return; }
      Array.from(select(MAP[p.k]).options).forEach(function (o) { o.selected = p.v.indexOf(o.value) >= 0; });
      var n = optional('n-' + MAP[p.k], HTMLInputElement);
      if (n) n.checked = p.not;
    });
    if (!plan.some(function (p) { return !!p && p.k === 'status'; })) select('f-status').value = '';
    return true;
  }
  /** The chosen channels in fallback order (each once). @returns {Channel[]} */
  function channels() {
    /** @type {Channel[]} */
    var out = [];
    ['c-ch1', 'c-ch2', 'c-ch3'].forEach(function (id) { var c = select(id).value; if (isChannel(c) && out.indexOf(c) < 0) out.push(c); });
    return out;
  }
  function category() { return select('c-category').value; }

  // ------------------------------------------------------------------ steps
  /** @param {number} step */
  function show(step) {
    errBox.hidden = true;
    state.step = step;
    all(document, 'section.step', HTMLElement).forEach(function (s) { s.hidden = Number(s.dataset.step) !== step; });
    all(document, '#steps li', HTMLElement).forEach(function (li) {
      if (Number(li.dataset.step) === step) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    });
    var h = B.q(document, 'section.step[data-step="' + step + '"] h2');
    h.setAttribute('tabindex', '-1');
    h.focus();
    if (step === 2) buildContentEditors();
    if (step === 4) renderReview();
    saveDraft(true);
  }
  /** @param {unknown} err */
  function fail(err) { B.showError(errBox, err); errBox.scrollIntoView({ block: 'nearest' }); }

  /**
   * One submit at a time: a double click waits for the first (and the server's idempotency keys catch the rest).
   * @template T
   * @param {() => T | PromiseLike<T>} fn
   * @returns {Promise<T | false>}
   */
  function once(fn) {
    if (busy) return Promise.resolve(false);
    busy = true;
    return Promise.resolve().then(fn).then(function (v) { busy = false; return v; }, function (err) { busy = false; throw err; });
  }
  document.addEventListener('click', function (e) {
    var b = B.closest(e, 'button[data-next]');
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

  /** What keeps staff on this step, in words (null: nothing). @param {number} step @returns {string | null} */
  function validateStep(step) {
    if (step === 1) {
      if (!input('c-name').value.trim()) { input('c-name').focus(); return 'Gi kampanjen et navn.'; }
      if (!category()) return 'Velg en meldingskategori.';
      if (!channels().length) return 'Velg minst én kanal.';
      var cat = state.categories[category()];
      var allowed = (cat && cat.channels) || [];
      var bad = channels().filter(function (c) { return allowed.indexOf(c) < 0; });
      if (bad.length) return 'Kategorien kan ikke sendes som ' + bad.map(function (c) { return B.label('channel', c); }).join(', ') + '.';
    }
    if (step === 2) {
      var missing = missingLinks();
      if (missing.length) {
        var first = optional(linkInputId(missing[0]), HTMLInputElement);
        if (first) first.focus();
        return 'Skriv inn adressen (https://…) for lenke ' + missing.map(function (n) { return '«' + n + '»'; }).join(', ') + '.';
      }
    }
    if (step === 3 && input('when-later').checked && !input('send-at').value) return 'Velg sendetidspunkt.';
    if (step === 3 && input('when-later').checked && new Date(input('send-at').value).getTime() < Date.now()) return 'Sendetidspunktet har passert. Velg et tidspunkt fram i tid, eller send straks.';
    return null;
  }

  // ------------------------------------------------------------------ step 1: audience and live counts
  var refSelects = all(document, 'select[data-source]', HTMLSelectElement);
  var referencesLoaded = Promise.all(refSelects.filter(function (s) { return s.dataset.source !== 'categories'; }).map(function (s) {
    return B.loadReference(s, s.dataset.source || '').catch(function () { /* shown empty */ });
  }));
  var categoriesLoaded = B.api('GET', '/api/categories').then(function (/** @type {{ categories: Category[] }} */ r) {
    var sel = select('c-category');
    r.categories.forEach(function (c) {
      state.categories[c.code] = c;
      var o = document.createElement('option');
      o.value = c.code;
      o.textContent = c.nameNb + (c.declinable ? '' : ' (kan ikke reserveres mot)');
      sel.appendChild(o);
    });
    sel.value = state.categories.newsletter ? 'newsletter' : sel.options.length ? sel.options[0].value : '';
    select('c-ch1').value = 'email';
    updateCounts();
  }).catch(fail);

  /**
   * Dependent lists: municipalities of the chosen counties, workplaces of the employers, clubs of the branches.
   * @param {string} parentId @param {string} childId @param {string} dataKey the option's data-* naming its parent
   */
  function narrow(parentId, childId, dataKey) {
    select(parentId).addEventListener('change', function () {
      var ps = chosen(parentId);
      Array.from(select(childId).options).forEach(function (o) {
        if (!o.value) return;
        o.hidden = ps.length > 0 && ps.indexOf(o.dataset[dataKey] || '') < 0;
        if (o.hidden) o.selected = false;
      });
    });
  }
  narrow('f-county', 'f-municipality', 'countyCode');
  narrow('f-employer', 'f-workplace', 'employerId');
  narrow('f-branch', 'f-club', 'branchId');

  /** @type {number | undefined} */
  var timer;
  var seq = 0;
  B.q(document, 'section.step[data-step="1"]').addEventListener('change', function () {
    clearTimeout(timer);
    timer = setTimeout(updateCounts, 250);
  });

  function updateCounts() {
    var box = B.byId('audience-count');
    if (!category() || !channels().length) return;
    var my = ++seq;
    box.setAttribute('aria-busy', 'true');
    B.api('POST', '/api/audiences/preview', { category: category(), channels: channels(), audience: audienceFilter() }).then(function (/** @type {AudiencePreview} */ r) {
      if (my !== seq) return;
      state.counts = r;
      var per = r.byChannel || {};
      box.innerHTML = '<table class="list" id="counts-table"><caption>Hvor mange kampanjen når (etter samtykke og sperrer)</caption><tbody>' +
        '<tr><th scope="row">I målgruppen</th><td class="num" data-count="total">' + B.num(r.total) + '</td></tr>' +
        channels().map(function (ch) {
          return '<tr><th scope="row">' + B.esc(B.label('channel', ch)) + '</th><td class="num" data-count="' + ch + '">' + B.num(per[ch]) + '</td></tr>';
        }).join('') +
        '<tr><th scope="row">Kan ikke nås</th><td class="num" data-count="unreachable">' + B.num(r.unreachable) + '</td></tr></tbody></table>' +
        unreachableWhy(r.unreachableReasons || {});
    }).catch(function (err) {
      if (my !== seq) return;
      box.innerHTML = '<p class="warn">Antallet kan ikke beregnes: ' + B.esc(B.problemText(err)) + '</p>';
    }).then(function () { box.removeAttribute('aria-busy'); });
  }

  // Saved audiences: load one into the lists, or save the lists under a name (POST /api/audiences).
  /** @type {Record<string, SavedAudience>} */
  var savedAudiences = {};
  function loadSavedAudiences() {
    return B.api('GET', '/api/audiences').then(function (/** @type {{ items: SavedAudience[] }} */ r) {
      var sel = select('a-saved');
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
  select('a-saved').addEventListener('change', function () {
    var a = savedAudiences[select('a-saved').value];
    var out = B.byId('a-result');
    if (!a) return;
    if (applyFilter(a.filter)) { out.className = 'ok small'; out.textContent = 'Hentet «' + a.name + '». Du kan endre filteret før du går videre.'; updateCounts(); saveDraft(); }
    else { out.className = 'warn small'; out.textContent = '«' + a.name + '» har vilkår listene her ikke kan vise (for eksempel medlemsnumre eller nestede grupper), så den er ikke hentet.'; }
  });
  B.byId('a-save').addEventListener('click', function () {
    var out = B.byId('a-result');
    var name = input('a-name').value.trim();
    if (!name) { out.className = 'warn small'; out.textContent = 'Gi målgruppen et navn.'; input('a-name').focus(); return; }
    once(function () { return B.api('POST', '/api/audiences', { name: name, filter: audienceFilter() }); }).then(function (/** @type {SavedAudience | false} */ a) {
      if (!a) return;
      out.className = 'ok small';
      out.textContent = 'Målgruppen «' + a.name + '» er lagret.';
      return loadSavedAudiences();
    }).catch(function (err) { B.showError(out, err); });
  });

  /** Why members cannot be reached, by reason and count (the preview's reasons on the first channel). @param {Record<string, number>} reasons */
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
  /** @returns {Content} */
  function defaultContent() { return { subject: DEFAULTS.subject, mjml: DEFAULTS.mjml, sms: DEFAULTS.sms, letter: DEFAULTS.letter }; }
  /** The fields each channel's editor writes. @type {Record<Channel, Field[]>} */
  var FIELDS = { email: ['subject', 'mjml'], sms: ['sms'], letter: ['letter'] };
  /** @type {Field[]} */
  var ALL_FIELDS = ['subject', 'mjml', 'sms', 'letter'];
  /** @type {string | null} */
  var built = null;

  /** @param {Channel} ch */
  function tabs(ch) {
    return '<div class="lang-tabs" role="tablist" aria-label="Språk for ' + B.esc(B.label('channel', ch)) + '">' + LANGS.map(function (l) {
      var on = state.chLang[ch] === l;
      return '<button type="button" role="tab" id="tab-' + ch + '-' + l + '" data-tab-ch="' + ch + '" data-tab-lang="' + l + '" aria-controls="panel-' + ch + '" aria-selected="' + on + '" tabindex="' + (on ? '0' : '-1') + '">' + B.esc(langName(l)) + '</button>';
    }).join('') + '</div>';
  }
  /** @param {Channel} ch */
  function editorHtml(ch) {
    var fields = ch === 'email'
      ? '<div class="field"><label for="t-subject">Emne</label><input id="t-subject"></div><div class="field"><label for="t-mjml">Innhold (MJML; flettefelt som {{firstName}})</label><textarea id="t-mjml" rows="14" spellcheck="false"></textarea></div>'
      : ch === 'sms' ? '<div class="field"><label for="t-sms">SMS-tekst</label><textarea id="t-sms" rows="4" aria-describedby="sms-count"></textarea></div>' +
        '<div id="sms-info" aria-live="polite"><p id="sms-count" class="small"></p><ul id="sms-warnings" class="small"></ul></div><div id="sms-fixes" class="actions"></div>'
        : '<div class="field"><label for="t-letter">Brevtekst (# overskrift, avsnitt, - lister, **fet**)</label><textarea id="t-letter" rows="10"></textarea></div>';
    return '<div class="channel-editor" data-editor="' + ch + '"><h3>' + B.esc(B.label('channel', ch)) + '</h3>' + tabs(ch) +
      '<div role="tabpanel" id="panel-' + ch + '" aria-labelledby="tab-' + ch + '-' + state.chLang[ch] + '">' + fields +
      '<p class="small muted lang-note" id="note-' + ch + '" aria-live="polite"></p></div></div>';
  }
  /** Editors → state.content of the language each editor shows (empty text is no content). */
  function readEditors() {
    channels().forEach(function (ch) {
      var l = state.chLang[ch];
      FIELDS[ch].forEach(function (f) {
        var el = editorOf(f);
        if (!el) return;
        var had = state.content[l];
        var before = (had && had[f]) || '';
        if (el.value === before) return;
        var c = had || { subject: null, mjml: null, sms: null, letter: null };
        state.content[l] = c;
        c[f] = el.value;
        state.dirty[l] = true;
      });
    });
  }
  /** state.content → editors, and a note where a language has no variant (its members get bokmål). */
  function fillEditors() {
    scheduleSmsCount(0);
    channels().forEach(function (ch) {
      var l = state.chLang[ch];
      var c = state.content[l];
      FIELDS[ch].forEach(function (f) { var el = editorOf(f); if (el) el.value = (c && c[f]) || ''; });
      var note = optional('note-' + ch, HTMLElement);
      var has = FIELDS[ch].some(function (f) { return f !== 'subject' && !!c && !!c[f]; });
      var chName = B.label('channel', ch).toLowerCase();
      if (note) note.textContent = l !== 'nb' && !has ? 'Ingen ' + langName(l).toLowerCase() + ' variant for ' + chName + ': medlemmer med ' + langName(l).toLowerCase() + ' får bokmål. Skriv her for å lage en.' : '';
      var panel = optional('panel-' + ch, HTMLElement);
      if (panel) panel.setAttribute('aria-labelledby', 'tab-' + ch + '-' + l);
      all(document, '[data-tab-ch="' + ch + '"]', HTMLElement).forEach(function (t) {
        var on = t.dataset.tabLang === l;
        t.setAttribute('aria-selected', String(on));
        t.tabIndex = on ? 0 : -1;
      });
    });
  }
  document.addEventListener('click', function (e) {
    var t = B.closest(e, '[data-tab-ch]');
    if (!t) return;
    var ch = t.dataset.tabCh;
    var l = t.dataset.tabLang;
    if (!isChannel(ch) || !isLang(l)) return;
    readEditors();
    state.chLang[ch] = l;
    fillEditors();
    saveDraft();
  });
  document.addEventListener('keydown', function (e) {
    var t = B.closest(e, '[data-tab-ch]');
    if (!t || (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft')) return;
    var l = t.dataset.tabLang;
    if (!isLang(l)) return;
    var i = LANGS.indexOf(l) + (e.key === 'ArrowRight' ? 1 : -1);
    var next = B.byId('tab-' + t.dataset.tabCh + '-' + LANGS[(i + LANGS.length) % LANGS.length]);
    next.focus();
    next.click();
  });

  // ------------------------------------------------------------------ the SMS editor's live count (the server's one counter, src/segments)
  /** @type {number | undefined} */
  var smsTimer;
  var smsSeq = 0;
  /** @param {number} ms */
  function scheduleSmsCount(ms) {
    clearTimeout(smsTimer);
    smsTimer = setTimeout(smsCount, ms);
  }
  function validLinks() {
    /** @type {Record<string, string>} */
    var out = {};
    var l = links();
    Object.keys(l).forEach(function (n) { if (/^https?:\/\/\S+$/i.test(l[n])) out[n] = l[n]; });
    return out;
  }
  /** Segments and encoding of the SMS as the member gets it: merged for a sample member, with the opt-out line. */
  function smsCount() {
    var ta = optional('t-sms', HTMLTextAreaElement);
    if (!ta) return;
    var my = ++smsSeq;
    var lang = state.chLang.sms;
    B.api('POST', '/api/render/sms-segments', { text: ta.value, language: lang, category: category(), links: validLinks() }).then(function (/** @type {DraftSmsInfo} */ r) {
      // The SMS editor may be gone meanwhile (the channels changed): nothing to show the count in.
      var count = optional('sms-count', HTMLElement);
      if (my !== smsSeq || !count) return;
      var segs = r.segments + ' SMS-segment' + (r.segments === 1 ? '' : 'er');
      var notes = [];
      if (r.optOut) notes.push('med reservasjonslinjen');
      if (r.merged) notes.push('flettefelt fylt ut for et eksempelmedlem');
      count.innerHTML = '<strong id="sms-segments" data-segments="' + r.segments + '">' + B.esc(segs) + '</strong> · <span id="sms-encoding">' + B.esc(r.encoding) + '</span> · ' +
        B.num(r.characters) + ' tegn' + (notes.length ? ' (' + B.esc(notes.join(', ')) + ')' : '');
      count.className = r.segments > SMS_WARN_SEGMENTS || !r.ok ? 'small warn' : 'small';
      B.byId('sms-warnings').innerHTML = r.warnings.map(function (w) { return '<li>' + B.esc(w) + '</li>'; }).join('');
      var fixes = r.replacements || [];
      var fixBox = B.byId('sms-fixes');
      fixBox.innerHTML = fixes.map(function (f, i) {
        return '<button type="button" data-sms-fix="' + i + '">' + B.esc(f.label) + '</button>';
      }).join('') + (fixes.length > 1 ? '<button type="button" data-sms-fix="all">Bytt alle</button>' : '');
      all(fixBox, 'button[data-sms-fix]', HTMLButtonElement).forEach(function (b) {
        b.addEventListener('click', function () {
          var picked = b.dataset.smsFix === 'all' ? fixes : [fixes[Number(b.dataset.smsFix)]];
          var el = B.byId('t-sms', HTMLTextAreaElement);
          picked.forEach(function (f) { el.value = el.value.split(f.from).join(f.to); });
          el.dispatchEvent(new Event('input', { bubbles: true }));
          el.focus();
        });
      });
    }).catch(function (err) {
      var count = optional('sms-count', HTMLElement);
      if (my === smsSeq && count) count.textContent = 'Kan ikke telle SMS-en: ' + B.problemText(err);
    });
  }

  // Typing in an editor: the content changed, so the saved version no longer is what staff see.
  // (Listened for once here: the editors inside are rebuilt when the channels change.)
  B.byId('content-channels').addEventListener('input', function (e) {
    var t = e.target;
    if (!(t instanceof HTMLElement) || !/^t-(subject|mjml|sms|letter)$/.test(t.id)) return;
    if (t.id === 't-sms') scheduleSmsCount(150);
    readEditors(); state.version = null; state.versionId = null; state.languages = null; renderLinks(); fillEditors(); saveDraft();
  });

  function buildContentEditors() {
    var key = category() + '|' + channels().join(',');
    if (built === key) return;
    built = key;
    var ch = channels();
    var box = B.byId('content-channels');
    box.innerHTML = '<div class="field"><label for="t-pick">Mal</label><select id="t-pick"><option value="">Skriv ny melding</option></select></div>' +
      '<p id="t-shared" class="small muted" aria-live="polite"></p>' +
      ch.map(editorHtml).join('') +
      '<ul id="template-errors" class="errors-list" hidden></ul>' +
      '<div class="grid2" id="preview-controls"><div class="field"><label for="pv-lang">Forhåndsvis på</label><select id="pv-lang"><option value="">Medlemmets eget språk</option>' +
      LANGS.map(function (l) { return '<option value="' + l + '">' + B.esc(langName(l)) + '</option>'; }).join('') + '</select></div>' +
      '<div class="field"><label for="pv-member">Forhåndsvis for et medlem (navn, medlemsnummer, e-post eller telefon)</label><input id="pv-member" list="pv-member-list" autocomplete="off" value="' + B.esc(state.previewMember) + '"><datalist id="pv-member-list"></datalist></div></div>' +
      '<div class="actions"><button type="button" id="t-preview" class="primary">Lagre og forhåndsvis</button></div>';
    select('pv-lang').value = state.previewLang;
    if (!state.content.nb && !state.templateId) state.content.nb = defaultContent();
    fillEditors();
    renderLinks();
    B.byId('t-preview').addEventListener('click', function () { if (!busy) saveAndPreview(); });
    select('pv-lang').addEventListener('change', function () {
      var l = select('pv-lang').value;
      state.previewLang = isLang(l) ? l : '';
      if (state.version) preview().catch(fail);
    });
    /** @type {number | undefined} */
    var memberTimer;
    input('pv-member').addEventListener('input', function () {
      clearTimeout(memberTimer);
      var q = input('pv-member').value.trim();
      memberTimer = setTimeout(function () { if (q.length >= 2) findMembers(q); }, 250);
    });
    input('pv-member').addEventListener('change', function () {
      var v = input('pv-member').value.trim();
      var m = /^([A-Za-z0-9-]{1,20})(\s|$)/.exec(v);
      state.previewMember = m ? m[1] : '';
      if (state.version) preview().catch(fail);
    });
    var pick = select('t-pick');
    B.api('GET', '/api/templates?category=' + encodeURIComponent(category())).then(function (/** @type {{ templates: TemplateSummary[] }} */ r) {
      (r.templates || []).forEach(function (t) {
        var o = document.createElement('option');
        o.value = String(t.id);
        var latest = t.latestVersion ? t.latestVersion.version : null;
        o.textContent = t.name + (latest ? ' (v' + latest + ')' : '') + (t.builtIn ? ' – innebygd' : '');
        pick.appendChild(o);
      });
      if (state.templateId) pick.value = String(state.templateId);
    }).catch(function () { /* writing a new one still works */ });
    pick.addEventListener('change', function () {
      var id = pick.value;
      if (!id) {
        state.templateId = null; state.version = null; state.versionId = null; state.languages = null; state.shared = false; state.usedBy = [];
        state.content = { nb: defaultContent(), nn: null, en: null };
        state.dirty = { nb: true }; fillEditors(); sharedNote(); renderLinks(); return;
      }
      loadTemplate(Number(id)).then(preview).catch(fail);
    });
    sharedNote();
  }

  /**
   * A template's latest version (or this one) into the editors, with who else uses it.
   * @param {number} id @param {number} [version]
   * @returns {Promise<void>}
   */
  function loadTemplate(id, version) {
    return B.api('GET', '/api/templates/' + id + (version ? '?version=' + version : '')).then(function (/** @type {TemplateDetail} */ r) {
      var langs = (r.version && r.version.languages) || {};
      state.content = { nb: langs.nb || null, nn: langs.nn || null, en: langs.en || null };
      state.dirty = {};
      state.languages = r.version ? r.version.languages : null;
      state.templateId = Number(id);
      state.templateName = r.template.name;
      state.version = r.version ? r.version.version : null;
      state.versionId = r.version ? r.version.id : null;
      state.baseVersion = r.versions && r.versions.length ? r.versions[0].version : (state.version === null ? undefined : state.version);
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
    var el = optional('t-shared', HTMLElement);
    if (!el) return;
    el.textContent = !state.templateId ? '' : state.shared
      ? (state.builtIn ? 'Dette er en innebygd mal. ' : '') + (state.usedBy.length ? 'Malen brukes også av ' + usedByText() + '. ' : '') + 'Når du endrer den, velger du om endringen bare gjelder denne kampanjen eller alle.'
      : '';
  }

  /** @param {string} q */
  function findMembers(q) {
    B.api('GET', '/api/members?limit=8&q=' + encodeURIComponent(q)).then(function (/** @type {{ members: { memberNumber: string, firstName: string, lastName: string }[] }} */ r) {
      var list = B.byId('pv-member-list');
      list.innerHTML = (r.members || []).map(function (m) {
        return '<option value="' + B.esc(m.memberNumber + ' ' + m.lastName + ', ' + m.firstName) + '"></option>';
      }).join('');
    }).catch(function () { /* the number can still be typed */ });
  }

  // ------------------------------------------------------------------ links the template uses ({{links.name}})
  /** Every link name the content uses: the chosen version's languages, or what is being written. @returns {string[]} */
  function linkNames() {
    /** @type {string[]} */
    var names = [];
    readEditors();
    /** @type {Partial<Record<Lang, Content | null>>} */
    var langs = state.languages || state.content;
    LANGS.forEach(function (l) {
      var c = langs[l];
      if (!c) return;
      var text = c;
      ALL_FIELDS.forEach(function (k) {
        var re = /\{\{[{#/~\s]*(?:[a-z]+\s+)?links\.([A-Za-z0-9_-]+)/g;
        var m;
        while ((m = re.exec(text[k] || ''))) if (names.indexOf(m[1]) < 0) names.push(m[1]);
      });
    });
    return names.sort();
  }
  /** @param {string} name */
  function linkInputId(name) { return 'link-' + name; }
  /** The "Lenker" fieldset: one URL input per link name; what was typed is kept when the list changes. */
  function renderLinks() {
    var box = optional('content-links', HTMLElement);
    if (!box) return;
    var names = linkNames();
    names.forEach(function (n) { if (state.links[n] === undefined) state.links[n] = ''; });
    var shown = all(box, 'input[data-link]', HTMLInputElement).map(function (i) { return i.dataset.link; });
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
    /** @type {Record<string, string>} */
    var out = {};
    linkNames().forEach(function (n) { var v = (state.links[n] || '').trim(); if (v) out[n] = v; });
    return out;
  }
  function missingLinks() {
    return linkNames().filter(function (n) { return !/^https?:\/\/\S+$/i.test((state.links[n] || '').trim()); });
  }
  document.addEventListener('input', function (e) {
    var el = e.target;
    if (el instanceof HTMLInputElement && el.dataset.link !== undefined) state.links[el.dataset.link] = el.value;
  });
  // A finished link address shows in the preview (the saved version is unchanged: links belong to the campaign).
  document.addEventListener('change', function (e) {
    var el = e.target;
    if (el instanceof HTMLInputElement && el.dataset.link !== undefined && state.templateId && state.version && /^https?:\/\/\S+$/i.test(el.value.trim())) preview().catch(fail);
  });

  /**
   * What changed, per language: the channels this campaign edits; empty text removes that channel's variant.
   * @returns {Partial<Record<Lang, Partial<Content>>>}
   */
  function languagesPatch() {
    readEditors();
    /** @type {Partial<Record<Lang, Partial<Content>>>} */
    var patch = {};
    LANGS.forEach(function (l) {
      if (!state.dirty[l] && !(l === 'nb' && !state.templateId)) return;
      var c = state.content[l];
      /** @type {Partial<Content>} */
      var out = {};
      channels().forEach(function (ch) { FIELDS[ch].forEach(function (f) { out[f] = c && c[f] ? c[f] : null; }); });
      patch[l] = out;
    });
    return patch;
  }
  /** A new template's languages: bokmål, and each other language that has content. @returns {Languages} */
  function fullLanguages() {
    var patch = languagesPatch();
    /** @type {Languages} */
    var out = {};
    LANGS.forEach(function (l) {
      var c = patch[l];
      if (!c) return;
      var p = c;
      if (l !== 'nb' && !ALL_FIELDS.some(function (k) { return k !== 'subject' && p[k]; })) return;
      out[l] = { subject: c.subject || null, mjml: c.mjml || null, sms: c.sms || null, letter: c.letter || null };
    });
    return out;
  }

  /**
   * A shared template (built in, or used by other campaigns): a copy for this campaign, or a new version for everyone?
   * @returns {Promise<SaveMode | null>} null: staff cancelled
   */
  function askSaveMode() {
    if (!state.templateId || !state.shared || state.saveMode) return Promise.resolve(state.saveMode || 'version');
    return new Promise(function (resolve) {
      var d = B.byId('save-mode', HTMLDialogElement);
      B.byId('save-mode-text').textContent = (state.builtIn ? '«' + state.templateName + '» er en innebygd mal' : '«' + state.templateName + '» er en delt mal') +
        (state.usedBy.length ? ' som også brukes av ' + usedByText() : '') + '. En ny versjon gjelder kampanjer som lages fra nå av; kampanjer som er startet, beholder sin versjon.';
      d.returnValue = '';
      d.onclose = function () { var v = d.returnValue; resolve(v === 'copy' || v === 'version' ? v : null); };
      d.showModal();
    });
  }

  /** Saves the content (a new template, a new version, or a copy) and previews it. @returns {Promise<boolean>} */
  function saveAndPreview() {
    return once(function () {
      var errs = B.byId('template-errors');
      errs.hidden = true;
      return askSaveMode().then(function (mode) {
        if (!mode) return false;
        if (state.templateId && state.shared) state.saveMode = mode;
        var patch = languagesPatch();
        /** @type {Promise<void>} */
        var save;
        if (state.templateId && !Object.keys(patch).length && state.version) save = Promise.resolve();
        else if (state.templateId && mode === 'copy') {
          save = B.api('POST', '/api/templates/' + state.templateId + '/copy', {
            name: (state.templateName + ' – ' + (input('c-name').value.trim() || 'kampanje')).slice(0, 200), languages: Object.keys(patch).length ? patch : undefined, idempotencyKey: state.keys.copy,
          }).then(function (/** @type {{ template: TemplateSummary, version: TemplateVersion }} */ t) { adopt(t.template, t.version); state.shared = false; state.builtIn = false; state.usedBy = []; state.saveMode = null; });
        } else if (state.templateId) {
          save = B.api('POST', '/api/templates/' + state.templateId + '/versions', { languages: patch, basedOn: state.baseVersion }).then(function (/** @type {TemplateVersion} */ v) {
            adopt(null, v);
          });
        } else {
          save = B.api('POST', '/api/templates', {
            key: 'kampanje-' + state.keys.template.slice(0, 16), name: input('c-name').value.trim() || 'Kampanje', category: category(), languages: fullLanguages(), idempotencyKey: state.keys.template,
          }).then(function (/** @type {{ template: TemplateSummary, version: TemplateVersion }} */ t) { adopt(t.template, t.version); });
        }
        return save.then(function () { sharedNote(); saveDraft(true); return preview(); }).then(function () { return true; });
      }).catch(function (err) {
        if (err && err.status === 422 && err.problem && err.problem.errors) { showTemplateErrors(err.problem.errors); return false; }
        fail(err);
        return false;
      });
    }).then(function (ok) { return ok === true; });
  }
  /**
   * After a save: the stored version is what the editors show.
   * @param {TemplateSummary | null} template the template, when the save made one
   * @param {TemplateVersion} version
   */
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

  /** @type {Record<string, Field | undefined>} */
  var FIELD_OF = { mjml: 'mjml', subject: 'subject', sms: 'sms', letter: 'letter' };
  /** What an error's field is called on this page. @type {Record<Field, string>} */
  var FIELD_LABEL = { mjml: B.label('channel', 'email'), subject: 'Emne', sms: B.label('channel', 'sms'), letter: B.label('channel', 'letter') };
  /**
   * The template's errors, each naming the editor and line; a click selects the line.
   * @param {TemplateError[]} list
   */
  function showTemplateErrors(list) {
    var errs = B.byId('template-errors');
    errs.hidden = false;
    errs.setAttribute('role', 'alert');
    errs.innerHTML = list.map(function (e, i) {
      var f = FIELD_OF[String(e.field || '').split('.').pop() || ''];
      var where = (f ? FIELD_LABEL[f] : e.field || 'Malen') + (e.line ? ', linje ' + e.line + (e.column ? ', kolonne ' + e.column : '') : '');
      // An error without a line (bokmål removed, say) names its field, with nothing to jump to.
      return '<li>' + (f && e.line ? '<button type="button" class="link" data-err="' + i + '">' + B.esc(where) + '</button>' : B.esc(where)) + ': ' + B.esc(e.message) + '</li>';
    }).join('');
    all(errs, 'button[data-err]', HTMLButtonElement).forEach(function (b) {
      b.addEventListener('click', function () {
        var e = list[Number(b.dataset.err)];
        var f = FIELD_OF[String(e.field).split('.').pop() || ''];
        var ta = f ? editorOf(f) : null;
        var line = e.line || 1;
        if (!ta) return;
        var lines = ta.value.split('\n');
        var start = 0;
        for (var i = 0; i < Math.min(line - 1, lines.length); i++) start += lines[i].length + 1;
        ta.focus();
        ta.setSelectionRange(start, start + (lines[line - 1] || '').length);
      });
    });
    B.byId('preview').innerHTML = '';
  }

  /** The saved version on every channel of the campaign, for the member and language chosen. @returns {Promise<void>} */
  function preview() {
    /** @type {{ version: number | null, language?: Lang, memberNumber?: string, links?: Record<string, string> }} */
    var pv = { version: state.version };
    if (state.previewLang) pv.language = state.previewLang;
    if (state.previewMember) pv.memberNumber = state.previewMember;
    var given = validLinks();
    if (Object.keys(given).length) pv.links = given;
    return B.api('POST', '/api/templates/' + state.templateId + '/preview', pv).then(function (/** @type {Preview} */ p) {
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
          B.num(i.characters) + ' tegn · ' + (i.encoding === 'GSM-7' ? 'GSM-7' : 'UCS-2') + ' · <strong>' + i.segments + ' SMS-segment' + (i.segments === 1 ? '' : 'er') + '</strong></p>' +
          (i.warnings || []).map(function (w) { return '<p class="warn">' + B.esc(w) + '</p>'; }).join('') + '</section>');
      }
      if (p.letter) {
        out.push('<section class="card" aria-labelledby="pv-letter"><h3 id="pv-letter">Brev (PDF, ' + p.letter.pages + ' side' + (p.letter.pages === 1 ? '' : 'r') + ')</h3>' +
          '<p><a href="' + B.esc(p.letter.url) + '" target="_blank" rel="noopener" id="pv-letter-link">Åpne brevet som PDF</a></p>' +
          '<iframe class="desktop" title="Forhåndsvisning av brev" src="' + B.esc(p.letter.url) + '"></iframe></section>');
      }
      var who = p.member && !p.member.sample ? 'medlem nr. ' + p.member.memberNumber : 'et eksempelmedlem';
      out.unshift('<p id="pv-who" class="small">Forhåndsvist på <strong>' + B.esc(langName(p.language).toLowerCase()) + '</strong> for ' + B.esc(who) + '.</p>');
      B.byId('preview').innerHTML = out.join('');
      if (p.email) {
        B.byId('pv-email-desktop', HTMLIFrameElement).srcdoc = p.email.html;
        B.byId('pv-email-phone', HTMLIFrameElement).srcdoc = p.email.html;
      }
    });
  }

  // ------------------------------------------------------------------ step 3: schedule, test send (creates the draft)
  all(document, 'input[name="when"]', HTMLInputElement).forEach(function (r) {
    r.addEventListener('change', function () { input('send-at').disabled = !input('when-later').checked; });
  });

  /**
   * The campaign as POST and PATCH /api/campaigns take it.
   * @typedef {{
   *   name: string, category: string, channels: Channel[], audience: { all: FilterNode[] }, links: Record<string, string>, sendAt: string | null,
   *   templates: Partial<Record<Channel, number | { templateId: number | null, version: number | null }>>, idempotencyKey?: string,
   * }} CampaignBody
   * @returns {CampaignBody}
   */
  function campaignBody() {
    // One template version for every channel: its id when known, else the template and its version number.
    /** @type {CampaignBody['templates']} */
    var templates = {};
    channels().forEach(function (ch) { templates[ch] = state.versionId ? state.versionId : { templateId: state.templateId, version: state.version }; });
    // datetime-local is Norwegian wall-clock time in the browser; the API takes an instant.
    var sendAt = input('when-later').checked && input('send-at').value ? new Date(input('send-at').value).toISOString() : null;
    return {
      name: input('c-name').value.trim(),
      category: category(),
      channels: channels(),
      audience: audienceFilter(),
      templates: templates,
      links: links(),
      sendAt: sendAt,
    };
  }

  /** Creates the draft campaign, or changes it. @returns {Promise<boolean>} */
  function saveCampaign() {
    var body = campaignBody();
    if (!state.campaign) body.idempotencyKey = state.keys.campaign;
    var p = state.campaign
      ? B.api('PATCH', '/api/campaigns/' + state.campaign.id, body)
      : B.api('POST', '/api/campaigns', body);
    return p.then(function (/** @type {Campaign & { campaign?: Campaign }} */ c) { state.campaign = c.campaign || c; saveDraft(true); return true; }).catch(function (err) {
      // A missing link is fixed in the content step: go there and point at the field.
      /** @type {TemplateError[]} */
      var errors = (err && err.problem && err.problem.errors) || [];
      var linkErr = errors.filter(function (e) { return /^body\.links\./.test(e.field || ''); })[0];
      if (linkErr && state.step !== 2) show(2);
      fail(err);
      if (linkErr) { var el = optional(linkInputId(String(linkErr.field).slice('body.links.'.length)), HTMLInputElement); if (el) el.focus(); }
      return false;
    });
  }

  // The test goes to the signed-in user's own address unless they type others.
  B.api('GET', '/api/me').then(function (/** @type {{ email?: string } | null} */ me) {
    var email = me && me.email;
    if (email && !input('test-to').value) input('test-to').value = email;
  }).catch(function () { /* typed by hand */ });

  B.byId('test-send').addEventListener('click', function () {
    var to = input('test-to').value.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
    var out = B.byId('test-result');
    if (!to.length) { out.className = 'warn'; out.textContent = 'Skriv minst én adresse.'; return; }
    saveCampaign().then(function (ok) {
      if (!ok || !state.campaign) return;
      return B.api('POST', '/api/campaigns/' + state.campaign.id + '/test', { to: to }).then(function (/** @type {{ sent?: { to: string, channel?: string }[] } | null} */ r) {
        var sent = (r && r.sent) || to.map(function (t) { return { to: t, channel: undefined }; });
        out.className = 'ok';
        out.textContent = 'Testen er sendt til ' + sent.map(function (s) { return s.to + (s.channel ? ' (' + B.label('channel', s.channel) + ')' : ''); }).join(', ') + '.';
      });
    }).catch(function (err) { B.showError(out, err); });
  });

  // ------------------------------------------------------------------ step 4: review (the server's: counts, fallback languages, overlaps)
  /** The lists' choices in words ("Fylke: Oslo eller Akershus"). @returns {string[]} */
  function filterText() {
    /** @type {string[]} */
    var out = [];
    document.querySelectorAll('section.step[data-step="1"] fieldset select, section.step[data-step="1"] fieldset input[type=date]').forEach(function (el) {
      if (!(el instanceof HTMLSelectElement || el instanceof HTMLInputElement)) return;
      if (!el.value || !el.id || el.id.indexOf('f-') !== 0) return;
      var label = B.q(document, 'label[for="' + el.id + '"]').textContent;
      var val = el instanceof HTMLSelectElement ? Array.from(el.selectedOptions, function (o) { return o.textContent; }).join(' eller ') : el.value;
      out.push(label + ': ' + val);
    });
    return out;
  }
  /** @param {AudiencePreview} c */
  function reachableOf(c) { return (c.total || 0) - (c.unreachable || 0); }
  function renderReview() {
    var box = B.byId('review');
    box.innerHTML = '<p class="muted">Henter oppsummeringen …</p>';
    if (!state.campaign) return;
    B.api('GET', '/api/campaigns/' + state.campaign.id + '/review').then(function (/** @type {{ review: Review }} */ r) {
      var rv = r.review;
      state.review = rv;
      var c = rv.preview;
      state.counts = c;
      var per = c.byChannel || {};
      var when = input('when-later').checked ? B.dt(new Date(input('send-at').value)) : 'Straks kampanjen startes';
      var ft = filterText();
      var cat = state.categories[category()];
      box.innerHTML = (rv.warnings.length ? '<div class="warn" role="status" id="review-warnings"><ul>' + rv.warnings.map(function (w) { return '<li>' + B.esc(w) + '</li>'; }).join('') + '</ul></div>' : '') +
        '<dl class="facts" id="review-list">' +
        '<div><dt>Navn</dt><dd>' + B.esc(input('c-name').value) + '</dd></div>' +
        '<div><dt>Kategori</dt><dd>' + B.esc((cat && cat.nameNb) || category()) + '</dd></div>' +
        '<div><dt>Hvem</dt><dd>' + (complexFilter() ? B.esc(rv.audienceText) : ft.length ? B.esc(ft.join('; ')) : 'Alle medlemmer') + '</dd></div>' +
        '<div><dt>Hva</dt><dd>' + rv.content.map(function (x) {
          return B.esc(B.label('channel', x.channel) + ': ' + x.templateName + ' v' + x.version + ' (' + x.languages.map(langName).join(', ') + ')');
        }).join('<br>') + (state.preview && state.preview.email ? '<br>Emne: «' + B.esc(state.preview.email.subject) + '»' : '') + '</dd></div>' +
        '<div><dt>Når</dt><dd>' + B.esc(when) + '</dd></div>' +
        '<div><dt>Hvor mange</dt><dd>' + B.num(c.total) + ' i målgruppen: ' + channels().map(function (ch) { return B.esc(B.label('channel', ch)) + ' ' + B.num(per[ch]); }).join(', ') +
        ', ' + B.num(c.unreachable) + ' kan ikke nås</dd></div>' +
        (rv.sms && rv.sms.length ? '<div><dt>SMS-lengde</dt><dd id="review-sms">' + rv.sms.map(function (x) {
          return B.esc(langName(x.language) + ': ' + x.segments + ' segment' + (x.segments === 1 ? '' : 'er') + ' (' + x.encoding + ', ' + x.characters + ' tegn)');
        }).join('<br>') + '</dd></div>' : '') +
        '<div><dt>Språk</dt><dd id="review-fallback">' + (rv.fallback.length ? rv.fallback.map(function (f) {
          return B.esc(B.num(f.members) + ' med ' + langName(f.language).toLowerCase() + ' får ' + B.label('channel', f.channel).toLowerCase() + ' på bokmål');
        }).join('<br>') : 'Alle får meldingen på sitt eget språk') + '</dd></div>' +
        '</dl>';
    }).catch(function (err) { B.showError(box, err); });
  }

  // ------------------------------------------------------------------ step 5: launch, after a confirmation naming the count
  /** @param {string} text @param {string} yes the confirming button's words @returns {Promise<boolean>} */
  function confirmDialog(text, yes) {
    return new Promise(function (resolve) {
      var d = B.byId('confirm', HTMLDialogElement);
      B.byId('confirm-text').textContent = text;
      B.byId('confirm-yes').textContent = yes;
      d.returnValue = '';
      d.onclose = function () { resolve(d.returnValue === 'yes'); };
      d.showModal();
    });
  }
  /** More than SMS_WARN_SEGMENTS segments: an explicit yes naming the count, before the launch's own confirmation. @param {ReviewSms[]} sms */
  function confirmLongSms(sms) {
    var long = sms.filter(function (x) { return x.segments > SMS_WARN_SEGMENTS; });
    if (!long.length) return Promise.resolve(true);
    var most = Math.max.apply(null, long.map(function (x) { return x.segments; }));
    return confirmDialog('SMS-en blir ' + long.map(function (x) { return x.segments + ' segmenter på ' + langName(x.language).toLowerCase(); }).join(' og ') +
      '. Hver mottaker får den som ' + most + ' SMS-er satt sammen, og den koster ' + most + ' ganger så mye som én SMS. Vil du sende så lang SMS?', 'Ja, send SMS på ' + most + ' segmenter');
  }
  B.byId('launch').addEventListener('click', function () {
    var out = B.byId('launch-result');
    var btn = B.byId('launch', HTMLButtonElement);
    if (busy) return;
    var campaign = state.campaign;
    if (!campaign) { fail({ message: 'Lagre kampanjen i steg 3 først.' }); return; }
    var id = campaign.id;
    B.api('GET', '/api/campaigns/' + id + '/review').then(function (/** @type {{ review: Review }} */ r) {
      var n = reachableOf(r.review.preview);
      if (n === 0) { B.showError(out, { message: 'Målgruppen er tom: ingen kan nås. Endre målgruppen før kampanjen startes.' }); return; }
      var when = input('when-later').checked ? ' ' + B.dt(new Date(input('send-at').value)) : ' nå';
      return confirmLongSms(r.review.sms || []).then(function (ok) {
        if (!ok) { out.className = 'warn'; out.textContent = 'Kampanjen er ikke startet. Gjør SMS-en kortere i steg 2, eller bekreft lengden.'; return false; }
        return true;
      }).then(function (ok) { return ok && confirmDialog('Starte «' + input('c-name').value.trim() + '» til ' + B.num(n) + ' mottakere' + when + '?', 'Ja, start for ' + B.num(n) + ' mottakere'); }).then(function (yes) {
        if (!yes) return;
        btn.disabled = true;
        return once(function () { return B.api('POST', '/api/campaigns/' + id + '/launch', { idempotencyKey: state.keys.launch }); }).then(function (/** @type {{ campaign?: Campaign, approvalRequired?: boolean } | false} */ res) {
          if (!res) return;
          // 200: started or scheduled; 202 with approvalRequired: waits for a second staff user.
          var c = res.campaign;
          if (c && c.id) state.campaign = c;
          var needsApproval = !!res.approvalRequired;
          state.launched = needsApproval ? 'approval' : c && c.state;
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
    var out = B.byId('launch-result');
    var c = state.campaign;
    if (!c) return;
    var needsApproval = state.launched === 'approval';
    out.className = needsApproval ? 'warn' : 'ok';
    out.innerHTML = (needsApproval
      ? 'Kampanjen går til ' + B.num(c.audienceSize) + ' medlemmer, så en annen bruker må godkjenne den før den sendes. '
      : state.launched === 'scheduled' ? 'Kampanjen er planlagt og sendes ' + B.esc(B.dt(c.sendAt)) + '. ' : 'Kampanjen er startet. ') +
      '<a href="/app/campaigns/' + c.id + '" id="campaign-link">' + (needsApproval ? 'Gå til kampanjen' : 'Følg utsendingen') + '</a>';
    B.byId('launch').hidden = true;
    all(document, 'section.step button[data-next]', HTMLButtonElement).forEach(function (b) { b.disabled = true; });
  }

  // ------------------------------------------------------------------ the wizard's state on the server (reload, back/forward)
  /**
   * What PUT /api/campaign-drafts/:key keeps of the wizard (state v1).
   * @typedef {{
   *   v: number, step: number, fields: Record<string, string | string[] | boolean>, when: 'now' | 'later', sendAt: string, testTo: string,
   *   content: Record<Lang, Content | null>, chLang: Record<Channel, Lang>, dirty: Partial<Record<Lang, boolean>>,
   *   templateId: number | null, templateName: string | null, version: number | null, versionId: number | null, baseVersion?: number,
   *   shared: boolean, builtIn: boolean, usedBy: UsedBy[], saveMode: SaveMode | null, links: Record<string, string>, keys: FormKeys,
   *   launched: string | null | undefined, campaign: Campaign | null, previewMember: string, previewLang: Lang | '',
   * }} DraftState
   */
  var params = new URLSearchParams(location.search);
  var draftKey = params.get('utkast') || newKey();
  if (!params.get('utkast')) { params.set('utkast', draftKey); history.replaceState(null, '', location.pathname + '?' + params.toString()); }
  var restoring = true;
  /** @type {number | undefined} */
  var draftTimer;
  /** @returns {DraftState} */
  function formState() {
    readEditors();
    /** @type {DraftState['fields']} */
    var f = {};
    document.querySelectorAll('section.step[data-step="1"] select, section.step[data-step="1"] input').forEach(function (el) {
      if (!(el instanceof HTMLSelectElement || el instanceof HTMLInputElement) || !el.id) return;
      f[el.id] = el instanceof HTMLSelectElement && el.multiple ? Array.from(el.selectedOptions, function (o) { return o.value; }) : el.type === 'checkbox' && el instanceof HTMLInputElement ? el.checked : el.value;
    });
    return {
      v: 1, step: state.step, fields: f, when: input('when-later').checked ? 'later' : 'now', sendAt: input('send-at').value, testTo: input('test-to').value,
      content: state.content, chLang: state.chLang, dirty: state.dirty, templateId: state.templateId, templateName: state.templateName, version: state.version,
      versionId: state.versionId, baseVersion: state.baseVersion, shared: state.shared, builtIn: state.builtIn, usedBy: state.usedBy, saveMode: state.saveMode,
      links: state.links, keys: state.keys, launched: state.launched, campaign: state.campaign ? { id: state.campaign.id, sendAt: state.campaign.sendAt, audienceSize: state.campaign.audienceSize, state: state.campaign.state } : null,
      previewMember: state.previewMember, previewLang: state.previewLang,
    };
  }
  var draftSaving = Promise.resolve();
  var draftPending = false;
  /** One PUT at a time, in order, so an older state never lands after a newer one. @param {BudstikkeApiOptions} [opts] */
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
   * @param {boolean} [now]
   */
  function saveDraft(now) {
    if (restoring) return;
    clearTimeout(draftTimer);
    if (now) { putDraft(); return; }
    draftPending = true;
    draftTimer = setTimeout(function () { putDraft(); }, 300);
  }
  document.addEventListener('change', function () { saveDraft(); });
  document.addEventListener('input', function () { saveDraft(); });
  // Leaving (reload, back, closing the tab) with typing not yet saved: send it on the way out.
  window.addEventListener('pagehide', function () {
    if (!draftPending || restoring) return;
    clearTimeout(draftTimer);
    putDraft({ keepalive: true });
  });

  /** The saved step-1 fields back into the lists and inputs. @param {Record<string, unknown>} fields */
  function applyFields(fields) {
    Object.keys(fields).forEach(function (id) {
      var el = document.getElementById(id);
      var v = fields[id];
      if (el instanceof HTMLSelectElement && el.multiple) {
        var vs = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
        Array.from(el.options).forEach(function (o) { o.selected = vs.indexOf(o.value) >= 0; });
      } else if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = !!v;
      else if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement) el.value = v === null || v === undefined ? '' : String(v);
    });
  }
  /** @param {Partial<DraftState>} d */
  function restore(d) {
    applyFields(d.fields || {});
    if (d.when === 'later') { input('when-later').checked = true; input('send-at').disabled = false; }
    input('send-at').value = d.sendAt || '';
    if (d.testTo) input('test-to').value = d.testTo;
    if (d.content !== undefined) state.content = d.content;
    if (d.chLang !== undefined) state.chLang = d.chLang;
    if (d.dirty !== undefined) state.dirty = d.dirty;
    if (d.templateId !== undefined) state.templateId = d.templateId;
    if (d.templateName !== undefined) state.templateName = d.templateName;
    if (d.version !== undefined) state.version = d.version;
    if (d.versionId !== undefined) state.versionId = d.versionId;
    if (d.baseVersion !== undefined) state.baseVersion = d.baseVersion;
    if (d.shared !== undefined) state.shared = d.shared;
    if (d.builtIn !== undefined) state.builtIn = d.builtIn;
    if (d.usedBy !== undefined) state.usedBy = d.usedBy;
    if (d.saveMode !== undefined) state.saveMode = d.saveMode;
    if (d.links !== undefined) state.links = d.links;
    if (d.keys !== undefined) state.keys = d.keys;
    if (d.launched !== undefined) state.launched = d.launched;
    if (d.campaign !== undefined) state.campaign = d.campaign;
    if (d.previewMember !== undefined) state.previewMember = d.previewMember;
    if (d.previewLang !== undefined) state.previewLang = d.previewLang;
    updateCounts();
    var step = d.step || 1;
    show(step);
    if (step >= 2 && state.templateId && state.version) preview().catch(function () { /* shown on save */ });
    if (state.launched && state.campaign) { show(5); showLaunched(); }
  }
  /** Editing a saved draft campaign: its fields into the wizard (the simple filters the wizard itself writes). @param {number} id */
  function fromCampaign(id) {
    return B.api('GET', '/api/campaigns/' + id + '/review').then(function (/** @type {{ campaign: Campaign, review: Review }} */ r) {
      var c = r.campaign;
      if (c.state !== 'draft') { location.href = '/app/campaigns/' + c.id; return; }
      var chs = c.channels || [];
      state.campaign = c;
      input('c-name').value = c.name || '';
      select('c-category').value = c.category || '';
      ['c-ch1', 'c-ch2', 'c-ch3'].forEach(function (sel, i) { select(sel).value = chs[i] || ''; });
      if (!applyFilter(c.audience)) fail({ message: 'Målgruppen til utkastet kan ikke vises i listene (den har vilkår som medlemsnumre eller nestede grupper). Lagre en ny målgruppe her for å erstatte den.' });
      state.links = c.links || {};
      if (c.sendAt) { var at = new Date(c.sendAt); input('when-later').checked = true; input('send-at').disabled = false; input('send-at').value = new Date(at.getTime() - at.getTimezoneOffset() * 60000).toISOString().slice(0, 16); }
      var first = r.review.content[0];
      updateCounts();
      if (first) return loadTemplate(first.templateId, first.version).then(function () { show(Number(params.get('steg')) || 1); });
      show(1);
    });
  }
  Promise.all([categoriesLoaded, referencesLoaded]).then(function () {
    if (params.get('kampanje')) return fromCampaign(Number(params.get('kampanje')));
    return B.api('GET', '/api/campaign-drafts/' + draftKey).then(function (/** @type {{ state: Partial<DraftState> }} */ d) { restore(d.state); }, function () { /* a new wizard */ });
  }).catch(fail).then(function () { restoring = false; document.body.dataset.wizardReady = '1'; });
})();
