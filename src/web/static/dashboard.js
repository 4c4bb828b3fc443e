// @ts-check
/* Dashboard and campaign page: live progress per campaign (polling GET /api/campaigns/:id) and an SVG chart of outcomes over time. */
(function () {
  'use strict';
  var B = window.Budstikke;
  /** @typedef {{ queued: number, sent: number, delivered: number, failed: number, skipped: number, cancelled: number, inDoubt: number }} Counts */
  /** @type {('queued' | 'sent' | 'delivered' | 'failed' | 'skipped' | 'cancelled')[]} */
  var SEG = ['queued', 'sent', 'delivered', 'failed', 'skipped', 'cancelled'];
  var POLL_MS = 2000;

  /**
   * Progress counts from the campaigns API, folded into the five the bar shows. Accepts
   * { progress: { byState: {...} } }, { counts: {...} } or { progress: { total, byChannel: { email: {...} } } }.
   */
  /** @param {any} c a campaign from GET /api/campaigns/:id @returns {Counts} */
  function countsOf(c) {
    /** @type {Record<string, number>} */
    var src = (c.progress && (c.progress.byState || c.progress.states || c.progress.totals)) || c.counts || c.progress || {};
    if (c.progress && c.progress.byChannel && !c.progress.byState) {
      src = {};
      Object.keys(c.progress.byChannel).forEach(function (ch) {
        /** @type {Record<string, unknown>} */
        var s = c.progress.byChannel[ch];
        Object.keys(s).forEach(function (k) { var v = s[k]; if (typeof v === 'number') src[k] = (src[k] || 0) + v; });
      });
    }
    var n = function (/** @type {string} */ k) { return Number(src[k] || 0); };
    return {
      queued: n('queued') + n('sending'),
      sent: n('sent'),
      delivered: n('delivered'),
      failed: n('failed') + n('bounced'),
      skipped: n('skipped'),
      cancelled: n('cancelled'),
      inDoubt: n('in_doubt'),
    };
  }

  /** @param {Counts} counts */
  function bar(counts) {
    var total = SEG.reduce(function (a, k) { return a + counts[k]; }, 0);
    var spans = SEG.map(function (k) {
      var w = total ? (100 * counts[k] / total) : 0;
      return w ? '<span class="s-' + k + '" style="width:' + w.toFixed(2) + '%"></span>' : '';
    }).join('');
    var done = total ? Math.round(100 * (total - counts.queued) / total) : 0;
    return '<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="' + done + '" aria-label="Framdrift ' + done + ' %">' + spans + '</div>' +
      '<p class="counts-line">' + SEG.map(function (k) {
        return '<span data-count="' + k + '"><span class="swatch s-' + k + '"></span>' + B.label('state', k === 'failed' ? 'failed' : k) + ': <strong>' + B.num(counts[k]) + '</strong></span>';
      }).join('') + '<span>Totalt: <strong data-count="total">' + B.num(total) + '</strong></span></p>';
  }

  /** A draft that asked for approval (launch above APPROVAL_THRESHOLD) and has not got it. */
  /** @param {any} c @returns {boolean} */
  function awaitingApproval(c) { return !!(c.approval && c.approval.required) && (c.state === 'draft' || c.state === 'scheduled'); }
  /** @param {any} c */
  function stateLabel(c) { return awaitingApproval(c) ? B.label('campaign', 'pending_approval') : B.label('campaign', c.state); }

  /** @param {any} c */
  function channelsText(c) { return (c.channels || []).map(function (/** @type {string} */ ch) { return B.label('channel', ch); }).join(' → '); }

  /** Category names by code (GET /api/categories), so no page shows a code such as `newsletter`. @type {Record<string, string>} */
  var categoryNames = {};
  /** @returns {Promise<void>} */
  function loadCategoryNames() {
    return B.api('GET', '/api/categories').then(function (/** @type {{ categories: { code: string, nameNb: string }[] }} */ r) {
      r.categories.forEach(function (c) { categoryNames[c.code] = c.nameNb; });
    }).catch(function () { /* names fall back to codes */ });
  }
  /** @param {string | null | undefined} code */
  function categoryName(code) { return code ? categoryNames[code] || code : ''; }

  // ---- dashboard list ----
  var listEl = document.getElementById('campaign-list');
  var chartSelect = /** @type {HTMLSelectElement | null} */ (document.getElementById('chart-campaign'));
  var chartEl = document.getElementById('chart');
  var detailEl = document.getElementById('campaign-detail');

  /** @param {any} c a row of GET /api/dashboard/campaigns */
  function campaignItem(c) {
    return '<article class="campaign" id="campaign-' + c.id + '" data-id="' + c.id + '"><h3><a href="/app/campaigns/' + c.id + '">' + B.esc(c.name) + '</a> <span class="badge" data-state>' +
      B.esc(B.label('campaign', c.state)) + '</span></h3><p class="small muted">' + B.esc(categoryName(c.category)) + ' · ' + B.esc(channelsText(c)) +
      (c.send_at ? ' · sendes ' + B.esc(B.dt(c.send_at)) : '') + '</p><div class="progress" aria-live="polite"></div></article>';
  }

  /** @param {string | number | undefined} id @returns {Promise<any>} */
  function progressFor(id) {
    return B.api('GET', '/api/campaigns/' + id);
  }

  /** @param {HTMLElement} el */
  function refresh(el) {
    var id = el.dataset.id;
    return progressFor(id).then(function (c) {
      B.q(el, '.progress').innerHTML = bar(countsOf(c));
      if (c.state) B.q(el, '[data-state]').textContent = stateLabel(c);
      return c;
    }).catch(function (err) {
      B.q(el, '.progress').innerHTML = '<p class="warn">Framdrift ikke tilgjengelig: ' + B.esc(err.message) + '</p>';
    });
  }

  function pollList() {
    if (!listEl) return;
    /** @type {HTMLElement[]} */
    var items = Array.prototype.slice.call(listEl.querySelectorAll('.campaign'));
    Promise.all(items.map(refresh)).then(function () { setTimeout(pollList, POLL_MS); });
  }

  if (listEl && chartSelect) {
    var list = listEl;
    var select = chartSelect;
    Promise.all([B.api('GET', '/api/dashboard/campaigns'), loadCategoryNames()]).then(function (res) {
      /** @type {any[]} */
      var cs = res[0].campaigns;
      list.innerHTML = cs.length ? cs.map(campaignItem).join('') : '<p class="muted">Ingen kampanjer sendes eller er planlagt.</p>';
      select.innerHTML = cs.map(function (c) { return '<option value="' + c.id + '">' + B.esc(c.name) + '</option>'; }).join('');
      if (cs.length) { pollList(); pollChart(); }
      select.addEventListener('change', function () { drawChart(select.value); });
    }).catch(function (err) { B.showError(list, err); });
  }

  // ---- campaign page ----
  var me = detailEl ? Number(detailEl.dataset.staff) : null;
  var role = detailEl ? detailEl.dataset.role : null;
  var canWrite = detailEl ? ['admin', 'communications', 'representative'].indexOf(role || '') >= 0 : false;

  /**
   * The buttons the campaigns API allows in this state (src/campaigns/model.ts TRANSITIONS):
   * launch a draft; approve a requested launch (four eyes: not the user who created the campaign
   * or asked for approval); pause a running one; resume a paused one; cancel until it is done.
   */
  /** @param {any} c */
  function actions(c) {
    if (!canWrite) return '';
    /** @type {[string, string][]} */
    var a = [];
    if (awaitingApproval(c)) {
      if (me !== c.approval.requestedBy && me !== c.createdBy && role !== 'representative') a.push(['approve', 'Godkjenn og start']);
    } else if (c.state === 'draft') a.push(['launch', 'Start']);
    if (c.state === 'running') a.push(['pause', 'Pause']);
    if (c.state === 'paused') a.push(['resume', 'Fortsett']);
    // Recovery (the delivery engine's retry and "send again"): shown only when there is something to act on.
    var cnt = c.counts || {};
    var after = ['running', 'paused', 'completed'].indexOf(c.state) >= 0;
    if (after && cnt.failed) a.push(['retry', 'Prøv feilede på nytt']);
    if (after && cnt.in_doubt) a.push(['in-doubt/send-again', 'Send uvisse på nytt']);
    if (['draft', 'scheduled', 'running', 'paused'].indexOf(c.state) >= 0) a.push(['cancel', 'Avbryt kampanjen']);
    return (c.state === 'draft' ? '<a class="button" id="edit-draft" href="/app/campaigns/new?kampanje=' + c.id + '">Rediger utkastet</a> ' : '') +
      a.map(function (x) { return '<button type="button" data-action="' + x[0] + '"' + (x[0] === 'cancel' ? ' class="danger"' : (x[0] === 'approve' ? ' class="primary"' : '')) + '>' + x[1] + '</button>'; }).join(' ');
  }

  /** @param {any} c */
  function approvalText(c) {
    if (awaitingApproval(c)) {
      var mine = me === c.approval.requestedBy || me === c.createdBy;
      var who = review && review.people && review.people.requestedBy ? ' av ' + B.esc(review.people.requestedBy) : '';
      return '<p class="warn" id="approval-note">Kampanjen går til ' + B.num(c.audienceSize) + ' medlemmer og venter på godkjenning (bedt om' + who + ' ' + B.esc(B.dt(c.approval.requestedAt)) + '). ' +
        (mine ? 'En annen bruker enn den som laget kampanjen eller ba om godkjenning, må godkjenne den.' : 'Du kan godkjenne den.') + '</p>';
    }
    var ppl = review && review.people;
    if (c.approval && c.approval.approvedAt) return '<p class="small muted" id="approval-note">Godkjent' + (ppl && ppl.approvedBy ? ' av ' + B.esc(ppl.approvedBy) : '') + ' ' + B.esc(B.dt(c.approval.approvedAt)) + '.</p>';
    return '';
  }

  /** What the engine reports (contract C1), rendered when present: halted channels, SMS held by quiet hours, why it is paused. */
  /** @param {any} c */
  function banners(c) {
    var out = (c.halts || []).map(function (/** @type {{ channel: string, reason: string, at: string, message?: string }} */ h) {
      return '<div class="banner" role="alert" data-halt="' + B.esc(h.channel) + '"><strong>' + B.esc(B.label('channel', h.channel)) + ' er stanset</strong> ' +
        (h.reason === 'retries_exhausted' ? '(forsøkt for mange ganger)' : '(leverandøren er utilgjengelig)') + ' ' + B.esc(B.dt(h.at)) + ': ' + B.esc(h.message || '') + '</div>';
    }).join('');
    if (c.smsHeldUntil) out += '<p class="warn" id="sms-held">SMS venter på at stilletiden er over og sendes fra ' + B.esc(B.dt(c.smsHeldUntil)) + '.</p>';
    if (c.state === 'paused' && c.pausedReason) out += '<p class="warn" id="paused-reason">' + (c.pausedReason === 'staff' ? 'Pauset av en ansatt.' : 'Pauset fordi leverandøren er utilgjengelig.') + '</p>';
    var cnt = c.counts || {};
    if (cnt.in_doubt) out += '<p class="warn" id="in-doubt">' + B.num(cnt.in_doubt) + ' meldinger er uvisst om ble sendt.</p>';
    return out;
  }

  /** @param {any} c */
  function renderDetail(c) {
    if (!detailEl) return;
    var byCh = (c.progress && c.progress.byChannel) || c.byChannel || null;
    var chTable = byCh ? '<div class="table-wrap" id="channel-wrap" tabindex="0" role="region" aria-label="Framdrift per kanal"><table class="list" id="channel-table"><caption>Per kanal</caption><thead><tr><th scope="col">Kanal</th>' +
      ['queued', 'sending', 'sent', 'delivered', 'bounced', 'failed', 'skipped', 'cancelled'].map(function (s) { return '<th scope="col" class="num">' + B.label('state', s) + '</th>'; }).join('') + '</tr></thead><tbody>' +
      Object.keys(byCh).map(function (ch) {
        return '<tr><th scope="row">' + B.esc(B.label('channel', ch)) + '</th>' + ['queued', 'sending', 'sent', 'delivered', 'bounced', 'failed', 'skipped', 'cancelled'].map(function (s) { return '<td class="num">' + B.num(byCh[ch][s]) + '</td>'; }).join('') + '</tr>';
      }).join('') + '</tbody></table></div>' : '';
    detailEl.innerHTML = '<h1>' + B.esc(c.name || ('Kampanje ' + c.id)) + ' <span class="badge" id="campaign-state">' + B.esc(stateLabel(c)) + '</span></h1>' +
      '<p class="muted">' + B.esc(categoryName(c.category)) + ' · ' + B.esc(channelsText(c)) + (c.sendAt || c.send_at ? ' · sendes ' + B.esc(B.dt(c.sendAt || c.send_at)) : '') +
      (c.launchedAt ? ' · startet ' + B.esc(B.dt(c.launchedAt)) : '') + (c.completedAt ? ' · fullført ' + B.esc(B.dt(c.completedAt)) : '') + '</p>' + banners(c) + approvalText(c) +
      '<section class="card" aria-labelledby="h-progress"><h2 id="h-progress">Framdrift</h2><ul class="legend" aria-hidden="true">' +
      SEG.map(function (k) { return '<li><span class="swatch s-' + k + '"></span>' + B.label('state', k) + '</li>'; }).join('') + '</ul>' +
      '<div id="progress" aria-live="polite">' + bar(countsOf(c)) + '</div>' + chTable + '</section>' +
      '<div class="actions" id="campaign-actions">' + actions(c) + '</div><p id="action-result" role="status"></p>';
    var rv = document.getElementById('campaign-review');
    if (rv && review) rv.hidden = false;
  }

  // ---- the review: what goes out, to whom, who asked (the approver sees it all before approving) ----
  /** @type {any} the campaign's review (GET /api/campaigns/:id/review) */
  var review = null;
  /** @type {string | null} */
  var reviewFor = null;
  /** @param {string} l */
  var langLabel = function (l) { return B.label('language', l); };
  /** @param {any} c */
  function loadReview(c) {
    var key = c.state + '|' + (c.approval && c.approval.approvedAt) + '|' + (c.approval && c.approval.requestedAt);
    if (reviewFor === key) return Promise.resolve();
    reviewFor = key;
    return B.api('GET', '/api/campaigns/' + c.id + '/review').then(function (r) {
      review = r.review;
      var box = B.byId('campaign-review');
      var p = review.preview;
      var ppl = review.people;
      box.innerHTML = '<h2 id="h-review">Innhold og mottakere</h2>' +
        (review.warnings.length ? '<div class="warn" role="status" id="review-warnings"><ul>' + review.warnings.map(function (/** @type {string} */ w) { return '<li>' + B.esc(w) + '</li>'; }).join('') + '</ul></div>' : '') +
        '<dl class="facts" id="review-facts">' +
        '<div><dt>Laget av</dt><dd id="review-created">' + B.esc(ppl.createdBy || '–') + ' ' + B.esc(B.dt(c.createdAt)) + '</dd></div>' +
        (ppl.requestedBy ? '<div><dt>Godkjenning bedt om av</dt><dd id="review-requested">' + B.esc(ppl.requestedBy) + ' ' + B.esc(B.dt(ppl.requestedAt)) + '</dd></div>' : '') +
        (ppl.approvedBy ? '<div><dt>Godkjent av</dt><dd id="review-approved">' + B.esc(ppl.approvedBy) + ' ' + B.esc(B.dt(ppl.approvedAt)) + '</dd></div>' : '') +
        '<div><dt>Hvem</dt><dd id="review-audience">' + B.esc(review.audienceText) + '</dd></div>' +
        '<div><dt>Hvor mange</dt><dd id="review-counts">' + B.num(p.total) + ' i målgruppen: ' + (c.channels || []).map(function (/** @type {string} */ ch) { return B.label('channel', ch) + ' ' + B.num((p.byChannel || {})[ch]); }).join(', ') +
        ', ' + B.num(p.unreachable) + ' kan ikke nås' + reasonsText(p.unreachableReasons) + '</dd></div></dl>' +
        '<details id="review-sample"><summary>Eksempler på mottakere (' + p.sample.length + ')</summary><ul>' + p.sample.map(function (/** @type {{ memberNumber: string, firstName: string, lastName: string, channel: string | null }} */ m) {
          return '<li><a href="/app/members/' + encodeURIComponent(m.memberNumber) + '">' + B.esc(m.lastName + ', ' + m.firstName) + '</a> <span class="muted">nr. ' + B.esc(m.memberNumber) +
            (m.channel ? ' · ' + B.esc(B.label('channel', m.channel)) : ' · kan ikke nås') + '</span></li>';
        }).join('') + '</ul></details>' +
        '<div id="review-content"></div>';
      renderContent(review.content);
      box.hidden = false;
    }).catch(function (err) { reviewFor = null; var box = B.byId('campaign-review'); box.hidden = false; B.showError(box, err); });
  }
  /** Why members cannot be reached, by count, in the vocabulary's words. @param {Record<string, number> | null | undefined} r */
  function reasonsText(r) {
    var counts = r || {};
    var keys = Object.keys(counts);
    if (!keys.length) return '';
    return ' (' + keys.map(function (k) { return B.num(counts[k]) + ' ' + B.label('unreachableReason', k).toLowerCase(); }).join(', ') + ')';
  }
  /** Every channel in every language the version has, with the wizard's previews. */
  /** @param {{ channel: string, templateId: number, templateName: string, version: number, languages: string[] }[]} content */
  function renderContent(content) {
    var box = B.byId('review-content');
    box.innerHTML = content.map(function (x) {
      return '<section class="card" aria-labelledby="rc-' + x.channel + '"><h3 id="rc-' + x.channel + '">' + B.esc(B.label('channel', x.channel)) + ': ' + B.esc(x.templateName) + ' v' + x.version + '</h3>' +
        x.languages.map(function (l) { return '<div class="review-lang" id="rc-' + x.channel + '-' + l + '"><h4>' + langLabel(l) + '</h4><p class="muted">Henter …</p></div>'; }).join('') + '</section>';
    }).join('');
    content.forEach(function (x) {
      x.languages.forEach(function (l) {
        B.api('POST', '/api/templates/' + x.templateId + '/preview', { version: x.version, language: l, links: linksOf() }).then(function (pv) {
          var el = B.byId('rc-' + x.channel + '-' + l);
          var h = '<h4>' + langLabel(l) + '</h4>';
          if (x.channel === 'email' && pv.email) {
            el.innerHTML = h + '<p><strong>Emne:</strong> <span data-subject="' + l + '">' + B.esc(pv.email.subject) + '</span></p><iframe class="desktop" title="E-post på ' + langLabel(l).toLowerCase() + '" sandbox=""></iframe>';
            B.q(el, 'iframe', HTMLIFrameElement).srcdoc = pv.email.html;
          } else if (x.channel === 'sms' && pv.sms) {
            el.innerHTML = h + '<div class="sms-bubble" data-sms="' + l + '">' + B.esc(pv.sms.text) + '</div><p class="small">' + B.num(pv.sms.info.segments) + ' SMS-segment(er)</p>';
          } else if (x.channel === 'letter' && pv.letter) {
            el.innerHTML = h + '<p><a href="' + B.esc(pv.letter.url) + '" target="_blank" rel="noopener">Åpne brevet på ' + langLabel(l).toLowerCase() + ' som PDF</a></p>';
          } else el.innerHTML = h + '<p class="muted">Ingen innhold.</p>';
        }).catch(function (err) { B.showError(B.byId('rc-' + x.channel + '-' + l), err); });
      });
    });
  }
  /** @type {Record<string, string>} */
  var campaignLinks = {};
  function linksOf() { return campaignLinks; }

  /** @type {number | undefined} */
  var detailTimer;
  /** @type {any} the campaign as last polled */
  var current = null;
  /** @type {string | null} */
  var lastSig = null;
  var settled = 0;
  /** @returns {Promise<void>} */
  function pollDetail() {
    if (!detailEl) return Promise.resolve();
    var detail = detailEl;
    var id = detail.dataset.campaign;
    clearTimeout(detailTimer);
    return progressFor(id).then(function (c) {
      var active = document.activeElement;
      var focused = active instanceof HTMLElement ? active.dataset.action : null;
      var focusedId = active && detail.contains(active) && active.id ? active.id : null;
      var msg = document.getElementById('action-result');
      var keep = msg ? { cls: msg.className, text: msg.textContent } : null;
      campaignLinks = c.links || {};
      current = c;
      renderDetail(c);
      loadReview(c);
      if (keep) { var m = B.byId('action-result'); m.className = keep.cls; m.textContent = keep.text; }
      if (focused) { var f = detail.querySelector('[data-action="' + focused + '"]'); if (f instanceof HTMLElement) f.focus(); }
      else if (focusedId) { var g = document.getElementById(focusedId); if (g) g.focus(); }
      clearTimeout(detailTimer);
      // After completion delivery outcomes keep arriving (sent → delivered/bounced): poll, slower, until they stop changing.
      var sig = JSON.stringify(c.progress || c.counts || {});
      settled = sig === lastSig ? settled + 1 : 0;
      lastSig = sig;
      var open = countsOf(c).sent + countsOf(c).queued > 0;
      if (['completed', 'cancelled'].indexOf(c.state) < 0) detailTimer = window.setTimeout(pollDetail, POLL_MS);
      else {
        drawChart(id);
        if (open ? settled < 150 : settled < 3) detailTimer = window.setTimeout(pollDetail, POLL_MS * 3);
        else detail.dataset.settled = '1';
      }
    }).catch(function (err) { B.showError(detail, err); });
  }

  if (detailEl) {
    loadCategoryNames().then(pollDetail);
    pollChart();
    detailEl.addEventListener('click', function (e) {
      var btn = /** @type {HTMLButtonElement | null} */ (B.closest(e, 'button[data-action]'));
      if (!btn) return;
      var button = btn;
      var act = btn.dataset.action || '';
      var n = review ? review.preview.total - review.preview.unreachable : (current && current.audienceSize) || 0;
      var left = current ? countsOf(current).queued : 0;
      /** @type {Record<string, [string, string]>} */
      var asks = { launch: ['Starte «' + current.name + '» til ' + B.num(n) + ' mottakere?', 'Ja, start for ' + B.num(n) + ' mottakere'],
        approve: ['Godkjenne og starte «' + current.name + '» til ' + B.num(n) + ' mottakere?', 'Ja, godkjenn for ' + B.num(n) + ' mottakere'],
        cancel: [current.state === 'draft' || current.state === 'scheduled' ? 'Avbryte «' + current.name + '»? Ingen av de ' + B.num(n) + ' mottakerne får den.'
          : 'Avbryte «' + current.name + '»? ' + B.num(left) + ' mottakere som ikke har fått meldingen ennå, får den ikke.', 'Ja, avbryt kampanjen'] };
      var cnt = (current && current.counts) || {};
      asks.retry = ['Sende på nytt meldinger som feilet av en grunn som kan rettes (for eksempel en avvist API-nøkkel)? Av ' + B.num(cnt.failed) +
        ' feilede røres ikke de som mottakeren avviste, og ingen som alt har fått meldingen, får den igjen.', 'Ja, prøv på nytt'];
      asks['in-doubt/send-again'] = ['Sende på nytt til ' + B.num(cnt.in_doubt) + ' mottakere det er uvisst om fikk meldingen? Leverandøren kan ha sendt den allerede, så noen kan få den to ganger.',
        'Ja, send på nytt til ' + B.num(cnt.in_doubt)];
      var ask = asks[act];
      (ask ? confirmDialog(ask[0], ask[1]) : Promise.resolve(true)).then(function (yes) { if (yes) run(act, button); });
    });
  }
  /** @param {string} text @param {string} yes @returns {Promise<boolean>} */
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
  /** @type {Record<string, string>} */
  var actionKeys = {};
  /** @param {string} act @param {HTMLButtonElement} btn */
  function run(act, btn) {
      if (!detailEl) return;
      // The poll re-renders the detail (and #action-result) while a slow action runs: the answer
      // goes into the element on the page when it arrives, not the one there when it was asked.
      var out = function () { return B.byId('action-result'); };
      btn.disabled = true;
      actionKeys[act] = actionKeys[act] || Array.from(crypto.getRandomValues(new Uint8Array(10)), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
      var body = act === 'launch' || act === 'approve' ? { idempotencyKey: actionKeys[act] } : {};
      B.api('POST', '/api/campaigns/' + detailEl.dataset.campaign + '/' + act, body).then(function (r) {
        var c = (r && r.campaign) || {};
        var text = r && r.approvalRequired ? 'En annen bruker må godkjenne kampanjen før den sendes.'
          : (act === 'launch' || act === 'approve') && c.state === 'scheduled' ? (act === 'approve' ? 'Godkjent. ' : '') + 'Planlagt til ' + B.dt(c.sendAt) + '.'
            : act === 'retry' || act === 'in-doubt/send-again' ? B.num(r.requeued || 0) + ' meldinger sendes på nytt.'
              : /** @type {Record<string, string>} */ ({ approve: 'Godkjent og startet.', launch: 'Startet.', pause: 'Pauset.', resume: 'Fortsetter.', cancel: 'Avbrutt.' })[act];
        var el = out();
        el.className = r && r.approvalRequired ? 'warn' : 'ok';
        el.textContent = text;
        return pollDetail();
      }).catch(function (err) { btn.disabled = false; B.showError(out(), err); });
  }

  // ---- chart: outcomes over time (SVG, cumulative per state) ----
  var CHART_STATES = [['sent', 'sent'], ['delivered', 'delivered'], ['failed', 'failed'], ['bounced', 'failed'], ['skipped', 'skipped'], ['cancelled', 'skipped']];
  /** @param {string | undefined} id @returns {Promise<void>} */
  function drawChart(id) {
    if (!chartEl || !id) return Promise.resolve();
    var chart = chartEl;
    return B.api('GET', '/api/campaigns/' + id + '/timeline').then(function (/** @type {{ bucketSeconds: number, buckets: { t: string, state: string, n: number }[] }} */ d) {
      if (!d.buckets || !d.buckets.length) { chart.innerHTML = '<p class="muted">Ingen utfall ennå.</p>'; return; }
      /** @type {number[]} */
      var times = [];
      /** @type {Record<string, Record<number, number>>} */
      var per = {};
      d.buckets.forEach(function (b) {
        var t = new Date(b.t).getTime();
        if (times.indexOf(t) < 0) times.push(t);
        var key = (CHART_STATES.filter(function (s) { return s[0] === b.state; })[0] || [null, null])[1];
        if (!key) return;
        per[key] = per[key] || {};
        per[key][t] = (per[key][t] || 0) + b.n;
      });
      times.sort(function (a, b) { return a - b; });
      var series = ['sent', 'delivered', 'failed', 'skipped'].filter(function (k) { return per[k]; }).map(function (k) {
        var acc = 0;
        return { key: k, points: times.map(function (t) { acc += (per[k][t] || 0); return /** @type {[number, number]} */ ([t, acc]); }) };
      });
      var W = 640, H = 240, L = 48, R = 12, T = 12, Bm = 32;
      var maxY = Math.max(1, Math.max.apply(null, series.map(function (s) { return s.points[s.points.length - 1][1]; })));
      var t0 = times[0], t1 = times[times.length - 1] + d.bucketSeconds * 1000;
      var x = function (/** @type {number} */ t) { return L + (W - L - R) * (t - t0) / Math.max(1, t1 - t0); };
      var y = function (/** @type {number} */ v) { return H - Bm - (H - T - Bm) * v / maxY; };
      /** @type {Record<string, string>} */
      var color = { sent: '#1d5fb8', delivered: '#1b7a3a', failed: '#b3261e', skipped: '#8a5a00' };
      var tf = new Intl.DateTimeFormat('nb-NO', { hour: '2-digit', minute: '2-digit', second: d.bucketSeconds < 60 ? '2-digit' : undefined, timeZone: 'Europe/Oslo' });
      var svg = '<svg viewBox="0 0 ' + W + ' ' + H + '" xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false">' +
        '<line x1="' + L + '" y1="' + (H - Bm) + '" x2="' + (W - R) + '" y2="' + (H - Bm) + '" stroke="#4f5966"/>' +
        '<line x1="' + L + '" y1="' + T + '" x2="' + L + '" y2="' + (H - Bm) + '" stroke="#4f5966"/>' +
        '<text x="' + (L - 6) + '" y="' + (T + 10) + '" text-anchor="end" font-size="12" fill="#1b1f24">' + B.num(maxY) + '</text>' +
        '<text x="' + (L - 6) + '" y="' + (H - Bm) + '" text-anchor="end" font-size="12" fill="#1b1f24">0</text>' +
        '<text x="' + L + '" y="' + (H - 10) + '" font-size="12" fill="#1b1f24">' + tf.format(new Date(t0)) + '</text>' +
        '<text x="' + (W - R) + '" y="' + (H - 10) + '" text-anchor="end" font-size="12" fill="#1b1f24">' + tf.format(new Date(t1)) + '</text>' +
        series.map(function (s) {
          var pts = /** @type {[number, number][]} */ ([[t0, 0]]).concat(s.points.map(function (p) { return [p[0] + d.bucketSeconds * 1000, p[1]]; }));
          return '<polyline fill="none" stroke-width="2.5" stroke="' + color[s.key] + '" points="' + pts.map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1); }).join(' ') + '"/>';
        }).join('') + '</svg>';
      var table = '<table class="list small" id="chart-table"><caption>Akkumulert per tidspunkt</caption><thead><tr><th scope="col">Tid</th>' +
        series.map(function (s) { return '<th scope="col" class="num"><span class="swatch s-' + s.key + '"></span>' + B.label('state', s.key) + '</th>'; }).join('') + '</tr></thead><tbody>' +
        times.map(function (t, i) { return '<tr><td>' + tf.format(new Date(t)) + '</td>' + series.map(function (s) { return '<td class="num">' + B.num(s.points[i][1]) + '</td>'; }).join('') + '</tr>'; }).join('') + '</tbody></table>';
      /** @type {Record<string, number>} */
      var last = {};
      series.forEach(function (s) { last[s.key] = s.points[s.points.length - 1][1]; });
      // The picture is one image with a text alternative; the table beside it is for reading and keyboard use.
      var alt = 'Utfall over tid: ' + series.map(function (s) { return B.label('state', s.key) + ' ' + last[s.key]; }).join(', ');
      chart.innerHTML = '<div role="img" id="chart-img" aria-label="' + B.esc(alt) + '">' + svg + '</div>' +
        '<details><summary>Vis som tabell</summary><div class="table-wrap" tabindex="0" role="region" aria-label="Utfall over tid som tabell">' + table + '</div></details>';
    }).catch(function () { chart.innerHTML = '<p class="warn">Diagrammet kunne ikke hentes.</p>'; });
  }

  function pollChart() {
    var id = (chartEl && chartEl.dataset.campaign) || (chartSelect && chartSelect.value) || undefined;
    drawChart(id).then(function () {
      // The campaign page stops once its campaign is done (by state, not by the badge's text); the dashboard keeps going.
      if (!detailEl || !current || ['completed', 'cancelled'].indexOf(current.state) < 0) setTimeout(pollChart, POLL_MS * 2);
    });
  }
})();
