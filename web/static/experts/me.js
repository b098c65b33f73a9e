// Reply deadlines are rendered by the server in Beijing time (experts/templates/experts/me.html).
async function call(method, url, body) {
  const r = await fetch(url, {method, headers: {'Content-Type': 'application/json'}, body: body ? JSON.stringify(body) : undefined});
  if (!r.ok) { const e = await r.json().catch(() => ({detail: r.statusText})); throw new Error(e.detail); }
  return r.status === 204 ? null : r.json();
}
async function respond(id, accept) {
  const reason = document.querySelector(`input.reason[data-id="${id}"]`).value;
  try { await call('POST', `/api/experts/me/invitations/${id}/respond`, {accept, reason}); location.reload(); }
  catch (e) { document.getElementById('respond-error').textContent = e.message; }
}
document.querySelectorAll('button.confirm').forEach(b => b.onclick = () => respond(b.dataset.id, true));
document.querySelectorAll('button.decline').forEach(b => b.onclick = () => respond(b.dataset.id, false));
document.querySelectorAll('button.remove-leave').forEach(b => b.onclick = async () => {
  try { await call('DELETE', `/api/experts/me/leave/${b.dataset.id}`); location.reload(); }
  catch (e) { document.getElementById('leave-error').textContent = e.message; }
});
document.getElementById('profile-form').onsubmit = async ev => {
  ev.preventDefault();
  const f = Object.fromEntries(new FormData(ev.target));
  const list = v => v.split(/[;；,，\s]+/).filter(Boolean);
  const body = {...f, specialties: list(f.specialties), avoid: list(f.avoid), public_key: f.public_key || null};
  try { await call('PUT', '/api/experts/me', body); location.reload(); }
  catch (e) { document.getElementById('profile-error').textContent = e.message; }
};
document.getElementById('leave-form').onsubmit = async ev => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try { await call('POST', '/api/experts/me/leave', Object.fromEntries(f)); location.reload(); }
  catch (e) { document.getElementById('leave-error').textContent = e.message; }
};
// A new invitation arrives over the socket: reload to show it (the database is the truth).
const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/experts/me`);
ws.onmessage = m => {
  const d = JSON.parse(m.data);
  if (d.type === 'subscribed') document.body.dataset.live = 'yes';
  if (d.type === 'invitation') location.reload();
};
