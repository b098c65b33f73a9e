(function () {
  // The texts and header name come from the upload card (bidding/templates/bidding/tender.html).
  const card = document.getElementById('upload-card');
  const b64url = (text) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  document.getElementById('submit-bid').addEventListener('click', async () => {
    const out = document.getElementById('upload-result');
    const envelope = document.getElementById('envelope').files[0];
    const manifestFile = document.getElementById('manifest').files[0];
    if (!envelope || !manifestFile) { out.textContent = '请选择两个文件 (choose both files)'; return; }
    const manifestText = (await manifestFile.text()).trim();
    let manifest;
    try { manifest = JSON.parse(manifestText).statement; } catch (e) { out.textContent = 'manifest: ' + e; return; }
    const url = `/api/tenders/${encodeURIComponent(manifest.tender)}/lots/${encodeURIComponent(manifest.lot)}/submissions/${encodeURIComponent(manifest.submission_id)}`;
    const xhr = new XMLHttpRequest();
    const bar = document.getElementById('upload-progress');
    bar.hidden = false;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = 100 * e.loaded / e.total; };
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || '{}');
      if (xhr.status === 200 || xhr.status === 201) {
        const r = body.receipt.statement;
        out.innerHTML = '';
        out.className = 'ok';
        out.textContent = `✔ ${card.dataset.receiptOk} · ${r.server_time} · #${r.audit_index}`;
        setTimeout(() => location.reload(), 800);
      } else { out.className = 'error'; out.textContent = `${xhr.status} ${body.error}: ${body.detail}`; }
    };
    xhr.onerror = () => { out.className = 'error'; out.textContent = 'network error; retry is safe'; };
    xhr.open('PUT', url);
    xhr.setRequestHeader(card.dataset.manifestHeader, b64url(manifestText));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.send(envelope);
  });
})();
