// The page's data (experts/templates/experts/console.html): the draw and the names of things.
const {draw: DRAW, rules: RULES, states: STATES, stages: STAGES, counties: COUNTIES, state_text: STATE_TEXT} =
  JSON.parse(document.getElementById('console-data').textContent);
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
async function call(method, url, body) {
  const r = await fetch(url, {method, headers: {'Content-Type': 'application/json'}, body: body ? JSON.stringify(body) : undefined});
  const d = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(d.detail || r.statusText);
  return d;
}
async function loadCounts() {
  try {
    const slots = await call('GET', `/api/experts/draws/${DRAW}/counts`);
    const rows = [];
    for (const s of slots) {
      rows.push(`<tr><th colspan="3">${esc(s.name)}（需 ${s.needed} 人，持有该专业 ${s.holders} 人，合格 <b class="eligible">${s.eligible}</b> 人）</th></tr>`);
      for (const r of s.rules) rows.push(`<tr data-rule="${esc(r.rule)}"><td>${esc(RULES[r.rule] || r.rule)}</td><td>${r.passing}</td><td class="${r.left < s.needed ? 'ex-short' : ''}">${r.left}</td></tr>`);
    }
    document.querySelector('#counts tbody').innerHTML = rows.join('');
  } catch (e) { document.getElementById('counts-error').textContent = e.message; }
}
async function refresh() {
  // Fetch both before drawing anything, so the state and the table never disagree on screen.
  const [d, members] = await Promise.all([call('GET', `/api/experts/draws/${DRAW}`), call('GET', `/api/experts/draws/${DRAW}/committee`)]);
  const st = document.getElementById('draw-state');
  st.textContent = STATE_TEXT[d.state] || d.state; st.className = `ex-state ${d.state}`; st.dataset.state = d.state;
  document.getElementById('draw-stage').textContent = STAGES[d.stage] || d.stage;
  document.getElementById('commitment').textContent = d.commitment || '—';
  document.getElementById('pool-hash').textContent = d.pool_hash || '—';
  document.getElementById('seed-commitment').textContent = d.seed_commitment || '—';
  document.getElementById('seed').textContent = d.seed || '—';
  document.getElementById('contributions').innerHTML = d.contributions.map(c => `<li>${esc(c.role)}：${esc(c.value)}（公开承诺 <span class="ex-mono">${esc(c.commitment)}</span>）</li>`).join('');
  document.getElementById('commit').disabled = d.state !== 'created';
  for (const id of ['contribution', 'contribute', 'run']) document.getElementById(id).disabled = d.state !== 'committed';
  document.querySelector('#committee tbody').innerHTML = members.map(m => `<tr data-state="${esc(m.state)}">
    <td>${esc(m.specialty)}</td><td>${m.kind === 'winner' ? '正选' : '备选 ' + (m.position + 1)}</td><td class="name">${esc(m.name)}</td>
    <td class="code">${esc(m.code)}</td><td>${esc(COUNTIES[m.county] || m.county)}</td><td>${esc(m.employer)}</td>
    <td><span class="ex-state ${esc(m.state)}">${esc(STATES[m.state] || m.state)}</span></td><td>${esc(m.reason)}</td></tr>`).join('');
}
async function act(fn) {
  document.getElementById('action-error').textContent = '';
  try { await fn(); await refresh(); await loadCounts(); } catch (e) { document.getElementById('action-error').textContent = e.message; }
}
document.getElementById('commit').onclick = () => act(() => call('POST', `/api/experts/draws/${DRAW}/commit`));
document.getElementById('contribute').onclick = () => act(() => call('POST', `/api/experts/draws/${DRAW}/contributions`, {value: document.getElementById('contribution').value}));
document.getElementById('run').onclick = () => act(() => call('POST', `/api/experts/draws/${DRAW}/run`));
loadCounts(); refresh();
// Live: every change to this draw arrives as a small message; the page then reads the API again.
const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/experts/draws/${DRAW}`);
ws.onmessage = m => {
  const d = JSON.parse(m.data);
  if (d.type === 'subscribed') document.body.dataset.live = 'yes'; else refresh();
};
