(() => {
  // The page's texts and settings (evaluation/templates/evaluation/room.html), then the room's state.
  const CONFIG = JSON.parse(document.getElementById('room-config').textContent);
  const T = CONFIG.texts, ITEMS = CONFIG.items, ROLE = CONFIG.role;
  let view = JSON.parse(document.getElementById('room-data').textContent);
  const CODE = view.code, api = `/api/evaluations/${encodeURIComponent(CODE)}`;
  const LOCALE = CONFIG.locale;
  const when = (iso) => new Date(iso).toLocaleString(LOCALE, {timeZone: 'Asia/Shanghai'});
  // The server rendered the room and its log up to CONFIG.head (first paint); the socket continues after it.
  let last = CONFIG.head;
  const drafts = {}, errors = {}, notes = {}, pending = {};
  let current = null, keyFile = null, ws = null, refN = 0, refreshTimer = null, generation = 0;
  const $ = (id) => document.getElementById(id);
  const tr = (k, vals) => { let s = T[k] ?? k; for (const [a, b] of Object.entries(vals || {})) s = s.split(`{${a}}`).join(b); return s; };
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
  const draft = (key, value) => (key in drafts ? drafts[key] : value);
  const yes = (b) => (b ? '✓' : '—');
  const member = (code) => view.members.find((m) => m.code === code);
  const nameOf = (code) => (member(code) || {}).name || code;
  const bidderName = (code) => (view.bidders.find((b) => b.code === code) || {}).name || code;
  const valid = () => view.bidders.filter((b) => !b.out);
  const status = (key) => `<span class="ev-err" data-err="${esc(key)}">${esc(errors[key] || '')}</span>` +
    `<span class="ev-ok" data-ok="${esc(key)}">${esc(errors[key] ? '' : (notes[key] || ''))}</span>`;
  const button = (key, label, extra = '') => `<button type="button" class="ev-btn" data-act="${esc(key)}" ${extra}>${esc(label)}</button>`;
  const input = (key, attrs = '', value = '') => `<input data-key="${esc(key)}" ${attrs} value="${esc(draft(key, value))}">`;
  const select = (key, options, value) => `<select data-key="${esc(key)}">${options.map(([v, label]) =>
    `<option value="${esc(v)}" ${draft(key, value) === v ? 'selected' : ''}>${esc(label)}</option>`).join('')}</select>`;

  // --- sending actions: over the socket, or over HTTP while it is down; nothing typed is lost ---
  const handlers = {};
  function act(key, payload, onOk) {
    delete errors[key];
    notes[key] = T.sending;
    const ref = `r${++refN}`;
    pending[ref] = {key, onOk, value: payload.value};
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({type: 'act', ref, ...payload}));
    else httpAct(ref, payload);
    render();
  }
  async function httpAct(ref, payload) {
    try {
      const r = await fetch(`${api}/actions`, {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(payload)});
      const j = await r.json().catch(() => ({}));
      settle(r.ok ? {type: 'acted', ref, ...j} : {type: 'error', ref, detail: j.detail || `${r.status}`});
    } catch (e) { settle({type: 'error', ref, detail: String(e)}); }
  }
  function settle(frame) {
    const p = pending[frame.ref];
    if (!p) return;
    delete pending[frame.ref];
    if (frame.type === 'acted') {
      delete errors[p.key];
      notes[p.key] = '✓';
      if (p.onOk) p.onOk();
      refresh();
    } else {
      delete notes[p.key];
      errors[p.key] = frame.detail || frame.code || 'error';
      render();
    }
  }
  function fail(key, detail) { delete notes[key]; errors[key] = detail; render(); }
  const sending = (key, value) => Object.values(pending).some((p) => p.key === key && p.value === value);
  const forget = (...keys) => () => keys.forEach((k) => { delete drafts[k]; });

  // --- scores: the input is held to the criterion's maximum and step before it is sent ---
  const places = (s) => (String(s).split('.')[1] || '').length;
  function checkScore(value, c) {
    if (!/^\d+(\.\d+)?$/.test(value)) return T['score.bad_number'];
    const f = 10 ** Math.max(places(value), places(c.step));
    const n = Math.round(Number(value) * f), step = Math.round(Number(c.step) * f), max = Math.round(Number(c.max_points) * f);
    if (n > max) return tr('score.range', {max: c.max_points});
    if (step > 0 && n % step !== 0) return tr('score.step_bad', {step: c.step});
    return null;
  }
  function sendScore(el) {
    const key = el.dataset.key, bidder = el.dataset.bidder, crit = view.criteria.find((c) => c.id === el.dataset.crit);
    const value = el.value.trim();
    const saved = (view.my_sheet[bidder] || {})[crit.id];
    if (value === '' || value === saved || sending(key, value)) return;
    const wrong = checkScore(value, crit);
    if (wrong) { fail(key, wrong); return; }
    act(key, {action: 'score', bidder, criterion: crit.id, value}, forget(key));
  }

  // --- the member's desk, phase by phase ---
  function deskSignIn(me) {
    let html = `<h3>${esc(T['sign_in.title'])}</h3>`;
    if (!me.signed_in) {
      html += `<div class="ev-row" id="sign-in"><label>${esc(T['sign_in.venue'])} ${select('sign_in.venue',
        view.venues.map((v) => [v.code, `${v.name} (${v.main ? T.main : T.sub})`]), view.venues[0].code)}</label>
        ${button('sign_in', T['sign_in.do'])} ${status('sign_in')}</div>`;
      handlers.sign_in = () => act('sign_in', {action: 'sign_in', venue: draft('sign_in.venue', view.venues[0].code)}, forget('sign_in.venue'));
      return html;
    }
    html += `<p id="signed-in-at">${esc(tr('sign_in.done', {venue: me.venue_name || me.venue}))}</p>`;
    html += `<h3>${esc(T['declare.title'])}</h3>`;
    if (!me.declared) {
      const conflict = draft('declare.conflict', 'no');
      html += `<div class="ev-row" id="declare">
        <label><input type="radio" name="declare" data-key="declare.conflict" value="no" ${conflict === 'no' ? 'checked' : ''}> ${esc(T['declare.none'])}</label><br>
        <label><input type="radio" name="declare" data-key="declare.conflict" value="yes" ${conflict === 'yes' ? 'checked' : ''}> ${esc(T['declare.conflict'])}</label>
        ${input('declare.reason', `placeholder="${esc(T['declare.reason'])}" size="30"`)}
        ${button('declare', T['declare.do'])} ${status('declare')}</div>`;
      handlers.declare = () => act('declare', {action: 'declare', conflict: draft('declare.conflict', 'no') === 'yes',
        reason: draft('declare.reason', '')}, forget('declare.conflict', 'declare.reason'));
    } else html += `<p>${esc(T['declare.done'])}. ${esc(T['wait.others'])}</p>`;
    return html;
  }
  function deskVote(me) {
    let html = `<h3>${esc(tr('vote.title', {round: view.vote_round}))}</h3>`;
    if (me.voted) return html + `<p id="voted">${esc(T['vote.done'])}. ${esc(T['wait.others'])}</p>`;
    const ballot = view.ballot.length ? view.ballot : view.members.map((m) => m.code);
    html += `<div class="ev-row" id="vote"><label>${esc(T['vote.candidate'])} ${select('vote.candidate',
      ballot.map((c) => [c, nameOf(c)]), ballot[0])}</label> ${button('vote', T['vote.do'])} ${status('vote')}</div>`;
    handlers.vote = () => act('vote', {action: 'vote', candidate: draft('vote.candidate', ballot[0])}, forget('vote.candidate'));
    return html;
  }
  function deskReview(review) {
    const items = view[`${review}_items`];
    const mine = {};
    for (const v of view.my_verdicts) if (v.review === review) mine[`${v.bidder}:${v.item}`] = v;
    let missing = 0, rows = '';
    for (const b of valid()) for (const item of items) {
      const key = `verdict:${review}:${b.code}:${item}`, given = mine[`${b.code}:${item}`];
      if (!given) missing += 1;
      const shown = given ? (given.passed ? T['review.pass'] : `${T['review.fail']}: ${given.reason}`) : '—';
      rows += `<tr data-verdict="${esc(`${b.code}:${item}`)}"><td>${esc(b.name)}</td><td>${esc(ITEMS[item] || item)}</td><td class="given">${esc(shown)}</td>
        <td>${select(`${key}:passed`, [['pass', T['review.pass']], ['fail', T['review.fail']]], given && !given.passed ? 'fail' : 'pass')}
        ${input(`${key}:reason`, `placeholder="${esc(T['review.reason'])}"`, given ? given.reason : '')}
        ${button(key, T['review.save'])} ${status(key)}</td></tr>`;
      handlers[key] = () => {
        const passed = draft(`${key}:passed`, given && !given.passed ? 'fail' : 'pass') === 'pass';
        const reason = draft(`${key}:reason`, given ? given.reason : '').trim();
        if (!passed && !reason) { fail(key, T['review.reason_needed']); return; }
        act(key, {action: 'verdict', review, bidder: b.code, item, passed, reason}, forget(`${key}:passed`, `${key}:reason`));
      };
    }
    return `<h3>${esc(tr('review.title', {review: T[`phase.${review}`]}))}</h3>
      <table class="ev-table" id="verdicts"><thead><tr><th>${esc(T.bidder)}</th><th>${esc(T['review.item'])}</th><th>${esc(T['review.mine'])}</th><th></th></tr></thead>
      <tbody>${rows}</tbody></table><p class="ev-missing" id="verdicts-missing">${missing ? esc(tr('review.missing', {n: missing})) : ''}</p>`;
  }
  function deskScoring(me) {
    const bidders = valid(), locked = me.submitted;
    const missingOf = (b) => view.criteria.filter((c) => !((view.my_sheet[b.code] || {})[c.id] !== undefined));
    if (!current || !bidders.some((b) => b.code === current)) current = (bidders.find((b) => missingOf(b).length) || bidders[0] || {}).code;
    const returned = view.returns.filter((r) => r.member === me.code);
    let html = `<h3>${esc(T['score.title'])}</h3>`;
    if (returned.length && !locked) {
      html += `<p class="ev-err" id="returned">${esc(tr('score.returned', {reason: returned[returned.length - 1].reason}))}</p>`;
    }
    html += `<div class="ev-tabs" id="score-tabs">` + bidders.map((b) =>
      `<button type="button" data-bidder-tab="${esc(b.code)}" class="${b.code === current ? 'current' : ''} ${missingOf(b).length ? '' : 'complete'}">${esc(b.name)}</button>`).join('') + '</div>';
    const b = bidders.find((x) => x.code === current);
    if (b) {
      html += `<table class="ev-table" id="sheet" data-bidder="${esc(b.code)}"><thead><tr><th>${esc(T['score.criterion'])}</th><th>${esc(T['score.group'])}</th>
        <th>${esc(T['score.max'])}</th><th>${esc(T['score.step'])}</th><th>${esc(T['score.value'])}</th></tr></thead><tbody>`;
      for (const c of view.criteria) {
        const key = `score:${b.code}:${c.id}`, saved = (view.my_sheet[b.code] || {})[c.id];
        html += `<tr data-criterion="${esc(c.id)}"><td>${esc(c.name || c.id)}</td><td>${esc(T[`group.${c.group}`] || c.group)}</td><td>${esc(c.max_points)}</td><td>${esc(c.step)}</td>
          <td><input type="number" inputmode="decimal" min="0" max="${esc(c.max_points)}" step="${esc(c.step)}" data-key="${esc(key)}" data-score
          data-bidder="${esc(b.code)}" data-crit="${esc(c.id)}" value="${esc(draft(key, saved ?? ''))}" ${locked ? 'disabled' : ''} size="6">
          ${saved !== undefined && !(key in drafts) ? `<span class="ev-ok">${esc(T['score.saved'])}</span>` : ''} ${status(key)}</td></tr>`;
      }
      html += '</tbody></table>';
    }
    const left = bidders.map((x) => [x, missingOf(x)]).filter(([, m]) => m.length);
    html += `<p class="ev-missing" id="missing">${left.length ? esc(T['score.missing']) + left.map(([x, m]) =>
      `${esc(x.name)}: ${m.map((c) => esc(c.name || c.id)).join('、')}`).join('；') : esc(T['score.complete'])}</p>`;
    if (locked) html += `<p id="sheet-submitted">${esc(T['score.submitted'])}</p>`;
    else {
      const outliers = view.my_outliers || [];
      if (outliers.length) {
        html += `<p id="outliers">${esc(T['anomaly.at_submit'])}</p>`;
        for (const a of outliers) {
          const key = `outlier:${a.bidder}:${a.unit}`;
          html += `<div class="ev-row" data-outlier="${esc(key)}">${esc(bidderName(a.bidder))} · ${esc(a.text)}<br>
            ${input(`${key}:reason`, `placeholder="${esc(T['anomaly.reason'])}" size="40"`)}</div>`;
        }
      }
      html += `<p>${button('submit', T['score.submit'])} ${status('submit')}</p>`;
      handlers.submit = () => act('submit', {action: 'submit', reasons: outliers.map((a) => ({bidder: a.bidder, unit: a.unit,
        reason: draft(`outlier:${a.bidder}:${a.unit}:reason`, '')}))});
    }
    const mine = view.open_anomalies.filter((a) => a.member === me.code);
    if (mine.length) {
      html += `<h3>${esc(T['anomaly.title'])}</h3><p>${esc(T['anomaly.mine'])}</p>`;
      for (const a of mine) {
        const key = `confirm:${a.bidder}:${a.unit}`;
        html += `<div class="ev-row" data-anomaly="${esc(key)}">${esc(bidderName(a.bidder))} · ${esc(a.text)}<br>
          ${input(`${key}:reason`, `placeholder="${esc(T['anomaly.reason'])}" size="40"`)} ${button(key, T['anomaly.confirm'])} ${status(key)}</div>`;
        handlers[key] = () => act(key, {action: 'confirm_anomaly', bidder: a.bidder, unit: a.unit,
          reason: draft(`${key}:reason`, '')}, forget(`${key}:reason`));
      }
    }
    return html;
  }
  function deskReport(me) {
    let html = `<h3>${esc(T['report.title'])}</h3>`;
    if (!view.report_digest) return html + `<p>${esc(T['report.pending'])}</p>`;
    html += `<p>${esc(T['report.digest'])}: <span class="ev-mono">${esc(view.report_digest)}</span></p>`;
    if (me.signed) return html + `<p id="report-signed">${esc(T['report.signed'])}</p>`;
    html += `<div class="ev-row" id="sign"><label>${esc(T['report.key'])} <input type="file" id="key-file" data-file></label>
      <span class="ev-mono" id="key-name">${esc(keyFile ? keyFile.name : '')}</span><br><span class="muted">${esc(T['report.key_note'])}</span><br>
      ${button('sign', T['report.sign'])} ${status('sign')}</div>`;
    handlers.sign = signReport;
    return html;
  }

  // --- signing in the browser: WebCrypto Ed25519 over signing_message(digest); only the signature leaves ---
  const SEED_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
  const unbase64 = (text) => Uint8Array.from(atob(text.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  function pkcs8Of(text) {
    if (text.includes('ENCRYPTED PRIVATE KEY')) throw new Error(T['report.encrypted']);
    const pem = text.match(/-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/);
    if (pem) return unbase64(pem[1]);
    const seed = unbase64(text.trim());
    if (seed.length !== 32) throw new Error(T['report.bad_key']);
    const der = new Uint8Array(48);
    der.set(SEED_PREFIX);
    der.set(seed, 16);
    return der;
  }
  async function signReport() {
    if (!keyFile) { fail('sign', T['report.no_key']); return; }
    if (!(window.crypto && crypto.subtle)) { fail('sign', T['report.no_webcrypto']); return; }
    let signature;
    try {
      const der = pkcs8Of(await keyFile.text());
      const key = await crypto.subtle.importKey('pkcs8', der, {name: 'Ed25519'}, false, ['sign']);
      const message = new TextEncoder().encode(`sunbid-evaluation-report-v1\n${view.report_digest}`);
      const raw = new Uint8Array(await crypto.subtle.sign({name: 'Ed25519'}, key, message));
      signature = btoa(String.fromCharCode(...raw));
    } catch (e) {
      fail('sign', `${T['report.bad_key']}: ${e && e.message ? e.message : e}`);
      return;
    }
    act('sign', {action: 'sign', signature});
  }

  function renderDesk() {
    const body = $('desk-body');
    if (!body) return;
    const me = member(view.me.member);
    if (!me) { body.innerHTML = ''; return; }
    const phase = view.phase;
    let html = '';
    if (phase === 'sign_in') html = deskSignIn(me);
    else if (phase === 'chair_election') html = deskVote(me);
    else if (phase === 'qualification' || phase === 'preliminary') html = deskReview(phase);
    else if (phase === 'scoring') html = deskScoring(me);
    else if (phase === 'report' || phase === 'signed') html = deskReport(me);
    else html = `<p>${esc(T[`phase.${phase}`])}…</p>`;
    body.innerHTML = html;
  }

  // --- the chair's controls ---
  function renderChair() {
    const box = $('chair-tools');
    if (!box) return;
    box.hidden = !view.me.chair;
    if (!view.me.chair) { $('chair-body').innerHTML = ''; return; }
    const phase = view.phase;
    let html = '';
    if (['qualification', 'preliminary', 'scoring'].includes(phase)) {
      html += `<p id="advance">${button('advance', T['chair.advance'])} ${status('advance')}</p>`;
      handlers.advance = () => act('advance', {action: 'advance'});
    }
    if (['scoring', 'price_score', 'results', 'report'].includes(phase)) {
      const submitted = view.members.filter((m) => m.submitted);
      if (submitted.length) {
        html += `<h3>${esc(T['chair.return'])}</h3><div class="ev-row" id="return">${select('return.member',
          submitted.map((m) => [m.code, m.name]), submitted[0].code)} ${input('return.reason', `placeholder="${esc(T['chair.return_reason'])}" size="30"`)}
          ${button('return', T['chair.return'])} ${status('return')}</div>`;
        handlers.return = () => act('return', {action: 'return', member: draft('return.member', submitted[0].code),
          reason: draft('return.reason', '')}, forget('return.member', 'return.reason'));
      }
    }
    if (phase === 'scoring' && view.open_anomalies.length) {
      html += `<h3>${esc(T['anomaly.title'])}</h3>`;
      for (const a of view.open_anomalies) {
        const key = `unexplained:${a.member}:${a.bidder}:${a.unit}`;
        html += `<div class="ev-row">${esc(nameOf(a.member))} → ${esc(bidderName(a.bidder))}: ${esc(a.text)}
          ${button(key, T['anomaly.unexplained'], 'data-secondary')} ${status(key)}</div>`;
        handlers[key] = () => act(key, {action: 'unexplained', member: a.member, bidder: a.bidder, unit: a.unit});
      }
    }
    if (['qualification', 'preliminary', 'scoring'].includes(phase)) {
      html += `<h3>${esc(T['chair.clarify'])}</h3><div class="ev-row" id="clarify">${select('clarify.bidder',
        view.bidders.map((b) => [b.code, b.name]), view.bidders[0].code)}
        ${input('clarify.question', `placeholder="${esc(T['chair.question'])}" size="40"`)}
        <label>${esc(T['chair.minutes'])} ${input('clarify.minutes', 'type="number" min="5" max="1440" step="1" size="5"', '30')}</label>
        ${button('clarify', T['chair.ask'])} ${status('clarify')}</div>`;
      handlers.clarify = () => act('clarify', {action: 'clarify', bidder: draft('clarify.bidder', view.bidders[0].code),
        question: draft('clarify.question', ''), minutes: Number(draft('clarify.minutes', '30'))}, forget('clarify.question', 'clarify.minutes'));
    }
    $('chair-body').innerHTML = html;
  }

  // --- the host: publish the candidates once signed, award after the publicity period ---
  async function hostCall(key, path, body) {
    delete errors[key];
    notes[key] = T.sending;
    render();
    const r = await fetch(`${api}${path}`, {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body || {})});
    const j = await r.json().catch(() => ({}));
    if (r.ok) { notes[key] = T['host.done']; refresh(); } else fail(key, j.detail || `${r.status}`);
  }
  function renderHost() {
    const body = $('host-body');
    if (!body) return;
    let html = '';
    if (view.state === 'signed') {
      html += `<p id="publish">${button('publish', T['host.publish'])} ${status('publish')}</p>`;
      handlers.publish = () => hostCall('publish', '/publicity');
    } else if (view.state === 'publicity') {
      html += `<p>${esc(T['host.publicity_ends'])}: <span class="local-time">${esc(when(view.publicity_ends))}</span></p>
        <p id="award">${button('award', T['host.award'])} ${status('award')}</p>`;
      handlers.award = () => hostCall('award', '/award', {});
    } else if (view.state === 'awarded') {
      html += `<p id="awarded">${esc(tr('host.awarded', {winner: bidderName(view.winner)}))}</p>`;
    } else html += `<p class="muted">${esc(T[`phase.${view.phase}`])}</p>`;
    if (view.phase === 'sign_in') {  // members who confirmed but have not come
      const away = view.members.filter((m) => !m.signed_in);
      if (away.length) html += `<p class="muted">${esc(T['host.absent_help'])}</p>`;
      for (const m of away) {
        const key = `absent.${m.code}`;
        html += `<p data-absent="${esc(m.code)}">${esc(m.name)} ${input(key, `placeholder="${esc(T['host.absent_reason'])}"`)}
          ${button(key, T['host.absent'])} ${status(key)}</p>`;
        handlers[key] = () => act(key, {action: 'absent', member: m.code, reason: draft(key, '')}, forget(key));
      }
    }
    body.innerHTML = html;
  }

  // --- what everyone admitted sees ---
  function renderShared() {
    $('phase').dataset.phase = view.phase;
    $('phase').textContent = T[`phase.${view.phase}`] || view.phase;
    $('state').className = `ev-badge ${view.state}`;
    $('state').textContent = T[`state.${view.state}`] || view.state;
    const at = view.phases.findIndex((p) => p.id === view.phase);
    $('phases').innerHTML = view.phases.map((p, i) =>
      `<li class="${i < at ? 'done' : i === at ? 'current' : ''}">${esc(T[`phase.${p.id}`] || p.zh)}</li>`).join('');
    $('report-links').hidden = !view.report_digest;
    $('digest').textContent = view.report_digest || '';
    $('venues').innerHTML = view.venues.map((v) => `<div class="ev-row" data-venue="${esc(v.code)}"><b>${esc(v.name)}</b>
      <span class="ev-badge">${esc(v.main ? T.main : T.sub)}</span> ${v.members.map((code) => {
        const m = member(code) || {};
        return `<span class="venue-member" data-member="${esc(code)}" data-online="${m.online ? 'yes' : 'no'}"><span class="ev-dot ${m.online ? 'on' : ''}"></span>${esc(m.name || code)}${m.chair ? ` (${esc(T.chair)})` : ''}</span>`;
      }).join(' · ') || esc(T.none)}</div>`).join('') + (() => {
        const away = view.members.filter((m) => !m.signed_in);
        return away.length ? `<p class="muted" id="not-signed-in">${esc(T.signed_in)} ${esc(T.no)}: ${away.map((m) =>
          `<span class="ev-dot ${m.online ? 'on' : ''}"></span>${esc(m.name)}`).join(' · ')}</p>` : '';
      })();
    document.querySelector('#members tbody').innerHTML = view.members.map((m) => `<tr data-member="${esc(m.code)}"
      data-online="${m.online ? 'yes' : 'no'}" class="${m.code === view.me.member ? 'me' : ''}">
      <td><span translate="no">${esc(m.name)}</span>${m.chair ? ` <span class="ev-badge">${esc(T.chair)}</span>` : ''}</td><td><span translate="no">${esc(m.county || '')}</span></td>
      <td><span translate="no">${esc(m.venue_name || '')}</span></td><td><span class="ev-dot ${m.online ? 'on' : ''}"></span>${esc(m.online ? T.online : T.away)}</td>
      <td>${yes(m.signed_in)}</td><td>${yes(m.declared)}</td><td>${yes(m.voted)}</td>
      <td class="progress" data-scored="${m.scored}">${m.scored}/${m.of}</td><td class="submitted">${yes(m.submitted)}</td><td class="signed">${yes(m.signed)}</td></tr>`).join('');
    const rank = view.ranking || [];
    document.querySelector('#bidders tbody').innerHTML = `<tr><th>${esc(T.bidder)}</th><th>${esc(T.price)}</th><th>${esc(T.out)}</th>
      <th>${esc(T['results.figure'])}</th><th>${esc(T['results.rank'])}</th></tr>` + view.bidders.map((b) =>
      `<tr data-bidder="${esc(b.code)}"><td>${esc(b.name)} <span class="code">${esc(b.code)}</span></td><td>${esc(b.price || '')}</td>
      <td>${esc(b.out || '')}</td><td>${esc(view.price_figures[b.code] || '')}</td><td>${rank.includes(b.code) ? rank.indexOf(b.code) + 1 : ''}</td></tr>`).join('');
    $('results').innerHTML = view.benchmark ? `<p>${esc(T['results.benchmark'])}: <b>${esc(view.benchmark)}</b></p>` : '';
    $('anomalies').innerHTML = view.anomalies.length ? view.anomalies.map((a) => `<div class="ev-row">${esc(nameOf(a.member))} → ${esc(bidderName(a.bidder))}:
      ${esc(a.text)} — <b>${esc(a.unexplained ? T['anomaly.is_unexplained'] : a.confirmed ? T['anomaly.confirmed'] : T['anomaly.open'])}</b></div>`).join('') : esc(T.none);
    if ($('scores') && view.scores) {
      const rows = {};
      for (const s of view.scores) (rows[`${s.member}|${s.bidder}`] ||= {})[s.criterion] = s.value;
      $('scores').innerHTML = `<tr><th>${esc(T.member)}</th><th>${esc(T.bidder)}</th>${view.criteria.map((c) => `<th>${esc(c.name || c.id)}</th>`).join('')}</tr>` +
        Object.entries(rows).map(([k, v]) => { const [m, b] = k.split('|');
          return `<tr data-score-row="${esc(k)}"><td>${esc(nameOf(m))}</td><td>${esc(bidderName(b))}</td>${view.criteria.map((c) => `<td>${esc(v[c.id] ?? '')}</td>`).join('')}</tr>`; }).join('');
    }
    $('clarifications').innerHTML = view.clarifications.length ? view.clarifications.map((c) => `<div class="ev-row" data-clarification="${c.id}">
      <b>${esc(bidderName(c.bidder))}</b>: ${esc(c.question)} <span class="muted">(${esc(T['clar.due'])} ${esc(when(c.due_at))})</span><br>
      ${esc(T['clar.answer'])}: ${c.answer ? esc(c.answer) : `<i>${esc(T['clar.waiting'])}</i>`}</div>`).join('') : esc(T.none);
    $('returns').innerHTML = view.returns.length ? view.returns.map((r) => `<div class="ev-row">${esc(nameOf(r.by))} → ${esc(nameOf(r.member))}: ${esc(r.reason)}</div>`).join('') : esc(T.none);
  }

  function render() {
    const active = document.activeElement;
    const focused = active && active.dataset ? active.dataset.key : null;
    let caret = null;
    try { caret = focused ? [active.selectionStart, active.selectionEnd] : null; } catch (e) { caret = null; }
    for (const k of Object.keys(handlers)) delete handlers[k];
    renderShared();
    renderDesk();
    renderChair();
    renderHost();
    if (focused) {
      const again = document.querySelector(`[data-key="${CSS.escape(focused)}"]${active.type === 'radio' ? `[value="${CSS.escape(active.value)}"]` : ''}`);
      if (again && !again.disabled) {
        again.focus();
        try { if (caret && caret[0] !== null) again.setSelectionRange(caret[0], caret[1]); } catch (e) { /* number inputs */ }
      }
    }
  }

  document.addEventListener('input', (ev) => {
    const el = ev.target;
    if (el.dataset && el.dataset.key && el.type !== 'radio') drafts[el.dataset.key] = el.value;
  });
  document.addEventListener('change', (ev) => {
    const el = ev.target;
    if (!el.dataset) return;
    if (el.dataset.file !== undefined) { keyFile = el.files[0] || null; delete errors.sign; render(); return; }
    if (el.dataset.key) drafts[el.dataset.key] = el.value;
    if (el.dataset.score !== undefined) sendScore(el);
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && ev.target.dataset && ev.target.dataset.score !== undefined) { ev.preventDefault(); sendScore(ev.target); }
  });
  document.addEventListener('click', (ev) => {
    const tab = ev.target.closest('[data-bidder-tab]');
    if (tab) { current = tab.dataset.bidderTab; render(); return; }
    const btn = ev.target.closest('[data-act]');
    if (btn && handlers[btn.dataset.act]) handlers[btn.dataset.act]();
  });

  // --- live: the room socket tells us something happened; the view is fetched again ---
  async function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = null;
    const mine = ++generation;
    const r = await fetch(api, {credentials: 'same-origin'});
    const j = await r.json().catch(() => ({}));
    if (mine !== generation) return;  // a later fetch is under way: its answer is newer
    if (!r.ok) { $('general-error').textContent = j.detail || `${r.status}`; return; }
    $('general-error').textContent = '';
    if (j.phase !== view.phase) for (const k of Object.keys(notes)) delete notes[k];
    view = j;
    render();
  }
  const later = () => { if (!refreshTimer) refreshTimer = setTimeout(refresh, 150); };
  const logEvent = (f) => {
    const li = document.createElement('li');
    const d = f.data || {};
    li.textContent = `#${f.seq} ${new Date(f.at).toLocaleTimeString(LOCALE, {timeZone: 'Asia/Shanghai'})} ${T[`log.${f.kind}`] || T['log.other']}${d.member ? ' ' + nameOf(d.member) : ''}`;
    $('log').prepend(li);
    while ($('log').children.length > 200) $('log').lastChild.remove();
  };
  const setConn = (state) => { $('conn').dataset.state = state; $('conn').dataset.seq = last; $('conn').textContent = T[`conn.${state}`]; };
  function connect() {
    setConn('connecting');
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const socket = new WebSocket(`${scheme}${location.host}/ws/evaluations/${encodeURIComponent(CODE)}?after=${last}`);
    ws = socket;
    socket.onmessage = (m) => {
      const f = JSON.parse(m.data);
      if (f.type === 'hello') { setConn('online'); later(); return; }
      if (f.type === 'acted' || f.type === 'error') {
        if (f.ref && pending[f.ref]) settle(f); else if (f.detail) $('general-error').textContent = f.detail;
        return;
      }
      if (f.type !== 'event' && f.type !== 'skip') return;
      if (f.seq <= last) return;
      if (f.seq > last + 1) { socket.send(JSON.stringify({type: 'resume', after: last})); return; }
      last = f.seq;
      $('conn').dataset.seq = last;
      if (f.type === 'event') logEvent(f);
      later();
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      setConn('offline');
      for (const [ref, p] of Object.entries(pending)) {  // unknown outcome: the refreshed view will tell
        delete pending[ref];
        delete notes[p.key];
        errors[p.key] = T['conn.offline'];
      }
      render();
      setTimeout(connect, 1000);
    };
  }
  // Diagnostics (and the browser test): drop the connection; the page reconnects and resumes.
  window.evaluationRoom = {drop: () => ws && ws.close(), seq: () => last};
  setInterval(() => { if (ws && ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}'); }, 15000);
  render();
  connect();
})();
