(() => {
  // The page's data (bidding/templates/bidding/opening.html): tender code, lot, deadline, phase names.
  const DATA = JSON.parse(document.getElementById('opening-data').textContent);
  const CODE = DATA.code, LOT = DATA.lot, PHASES = DATA.phases;
  const api = `/api/tenders/${encodeURIComponent(CODE)}`;
  const $ = (id) => document.getElementById(id);
  // The server rendered the hall as it stood at event DATA.last (bidding/hall.py): continue from there.
  // Before the opening, the countdown runs to the bid deadline (the opening starts by itself then).
  let last = DATA.last || 0, offset = 0, endsAt = DATA.ends_at ? Date.parse(DATA.ends_at) : null;
  const beijing = new Intl.DateTimeFormat('zh-CN', {timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false});
  const stamp = new Intl.DateTimeFormat('sv-SE', {timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false});
  const yuan = new Intl.NumberFormat('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2});
  const bondWords = (b) => typeof b === 'string' ? Object.entries(DATA.bond_forms).reduce((s, [k, v]) => s.split(k).join(v), b) : b;
  const setPhase = (p) => { $('phase').dataset.phase = p; $('phase').textContent = PHASES[p] || p; };
  const tick = () => {
    const now = Date.now() + offset;
    $('server-time').textContent = beijing.format(new Date(now));
    if (!endsAt) { $('countdown').textContent = '—'; return; }
    const left = Math.max(0, Math.round((endsAt - now) / 1000));
    $('countdown').textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  };
  setInterval(tick, 500);
  const log = (text) => { const li = document.createElement('li'); li.textContent = text; $('log').appendChild(li); };
  const row = (d) => {
    const tr = document.createElement('tr');
    tr.dataset.outcome = d.outcome;
    const outcome = DATA.outcomes[d.outcome] || '—';
    const price = d.price == null ? null : yuan.format(Number(d.price));
    for (const v of [d.bidder, price, d.duration_days, d.quality, d.project_manager, bondWords(d.bond), d.reason ? `${outcome}: ${d.reason}` : outcome]) {
      const td = document.createElement('td'); td.textContent = v == null ? '—' : String(v); tr.appendChild(td);
    }
    document.querySelector('#table tbody').appendChild(tr);
  };
  const handle = (f) => {
    const d = f.data || {};
    switch (f.kind) {
      case 'opening.due': setPhase('awaiting_host'); endsAt = null; break;
      case 'window.opened': setPhase('decrypting'); endsAt = Date.parse(d.window_ends_at); break;
      case 'custody.called': setPhase('custody'); endsAt = Date.parse(d.custody_ends_at); break;
      case 'confirm.opened': setPhase('confirming'); endsAt = Date.parse(d.confirm_ends_at); break;
      case 'progress':
        for (const k of ['queued', 'decrypting', 'opened', 'failed']) $(`n-${k}`).textContent = d[k];
        break;
      case 'coefficient.drawn': $('coefficient').textContent = d.coefficient; break;
      case 'table.row': row(d); break;
      case 'record.published':
        setPhase(d.failed ? 'failed' : 'closed'); endsAt = null; $('record-published').hidden = false; break;
    }
    // Events the platform words for people (auto-start, early close) carry {zh, en}.
    const said = d.message ? ' — ' + (document.documentElement.lang === 'en' ? d.message.en : d.message.zh) : '';
    const when = f.at ? stamp.format(new Date(f.at)) : '';
    log(`#${f.seq} ${when} ${DATA.events[f.kind] || DATA.events_other}${said}${d.reason ? ' — ' + d.reason : ''}${d.answer ? ' — ' + d.answer : ''}`);
  };
  const connect = () => {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const ws = new WebSocket(`${scheme}${location.host}/ws/openings/${encodeURIComponent(CODE)}/${encodeURIComponent(LOT)}?after=${last}`);
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data);
      if (f.type === 'hello' || f.type === 'pong') { offset = Date.parse(f.server_time) - Date.now(); return; }
      if (f.type !== 'event' && f.type !== 'skip') return;
      if (f.seq <= last) return;
      if (f.seq > last + 1) { ws.send(JSON.stringify({type: 'resume', after: last})); return; }
      last = f.seq;
      if (f.type === 'event') handle(f);
    };
    ws.onclose = () => setTimeout(connect, 1000);
    setInterval(() => { if (ws.readyState === 1) ws.send('{"type":"ping"}'); }, 15000);
  };
  connect();
  const post = async (path, body) => {
    const r = await fetch(`${api}${path}`, {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(body || {}), credentials: 'same-origin'});
    const j = await r.json().catch(() => ({}));
    $('message').textContent = r.ok ? 'OK' : `${j.error || r.status}: ${j.detail || ''}`;
  };
  const on = (id, fn) => { const el = $(id); if (el) el.addEventListener('click', fn); };
  on('start', () => post('/opening/start'));
  on('finish', () => post(`/lots/${LOT}/opening/finish`));
  on('reveal', () => post(`/lots/${LOT}/opening/key`, {file_key: $('file-key').value}));
  on('confirm', () => post(`/lots/${LOT}/opening/confirm`));
  on('object', () => post(`/lots/${LOT}/opening/objections`, {reason: $('objection').value}));
})();
