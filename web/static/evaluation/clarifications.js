(() => {
  const offset = Date.parse(document.currentScript.dataset.now) - Date.now();  // the server's clock counts
  const tick = () => document.querySelectorAll('.clarification').forEach((s) => {
    const left = s.querySelector('.left');
    if (!left) return;
    const seconds = Math.round((Date.parse(s.dataset.due) - (Date.now() + offset)) / 1000);
    if (seconds <= 0) { left.textContent = left.dataset.expired; return; }
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), sec = seconds % 60;
    left.textContent = `${h ? h + ':' : ''}${String(m).padStart(h ? 2 : 1, '0')}:${String(sec).padStart(2, '0')}`;
  });
  tick();
  setInterval(tick, 1000);
  document.querySelectorAll('.answer-form').forEach((form) => form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const error = form.querySelector('.ev-err');
    error.textContent = '';
    const r = await fetch(`/api/clarifications/${form.dataset.id}/answer`, {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify({answer: form.answer.value})});
    const j = await r.json().catch(() => ({}));
    if (r.ok) { location.reload(); return; }
    error.textContent = j.detail || `${r.status}`;  // e.g. too late: the answer stays in the box
  }));
})();
