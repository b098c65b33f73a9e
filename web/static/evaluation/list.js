// The creation times are written by the server in Beijing time (evaluation/templates/evaluation/list.html).
const form = document.getElementById('start-form');
if (form) form.onsubmit = async (ev) => {
  ev.preventDefault();
  const f = new FormData(form);
  const body = {tender: f.get('tender').trim(), lot: f.get('lot').trim(), draw_id: Number(f.get('draw_id')),
                main_venue: f.get('main_venue'), venues: f.getAll('venues'),
                representative: f.get('representative').trim(), representative_key: f.get('representative_key').trim()};
  const error = document.getElementById('start-error');
  error.textContent = '';
  const r = await fetch('/api/evaluations', {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  const j = await r.json().catch(() => ({}));
  if (r.ok) { location.href = `/evaluations/${encodeURIComponent(j.code)}`; return; }
  error.textContent = j.detail || `${r.status} ${r.statusText}`;  // the form keeps what was typed
};
