document.getElementById('draw-form').onsubmit = async ev => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const num = k => f.get(k) === '' || f.get(k) === null ? null : Number(f.get(k));
  const body = {
    tender_ref: f.get('tender_ref'), lot_ref: f.get('lot_ref') || null, evaluation_date: f.get('evaluation_date'),
    tenderer_code: f.get('tenderer_code'), tenderer_county: f.get('tenderer_county'), agent_code: f.get('agent_code') || null,
    bidder_codes: (f.get('bidder_codes') || '').split(/[,，\s]+/).filter(Boolean),
    slots: [{specialty: f.get('specialty'), experts: num('experts'), alternates: num('alternates') || 0}],
    min_counties: num('min_counties') || 0, max_per_county: num('max_per_county'),
    max_recent_for_tenderer: num('max_recent_for_tenderer'), min_credit: f.get('min_credit') || null,
    response_minutes: num('response_minutes') || 30, exclude_tenderer_county: f.get('exclude_tenderer_county') === 'on',
    counties_excluded: f.getAll('counties_excluded'),
  };
  const r = await fetch('/api/experts/draws', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  const d = await r.json();
  if (r.ok) location.href = `/experts/draws/${d.id}`; else document.getElementById('draw-error').textContent = d.detail;
};
