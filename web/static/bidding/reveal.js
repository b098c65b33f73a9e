// "Decrypt my bid" in the opening hall (templates/bidding/_reveal.html), as `sunbid bid decrypt` does it:
// fetch the bid's age header (wrapped keys only), unwrap the 16-byte file key here with the identity
// file the bidder chooses, check it against the header's MAC, and send only that key, during the
// decryption window. The identity file, its passphrase and the bid's content never leave the page.
// The bid's state (queued / decrypting / opened / rejected …) follows the room's events live.
import { age, X25519Identity, parseHeader, hkdf, sha256, base64, hex } from "/static/vendor/sunbid-crypto/sunbid-crypto.js";

const $ = (id) => document.getElementById(id);
const DATA = JSON.parse($("reveal-data").textContent);
const STATES = DATA.states, MSG = DATA.messages;
const base = `/api/tenders/${encodeURIComponent(DATA.code)}/lots/${encodeURIComponent(DATA.lot)}/opening`;
const FINAL = ["opened", "rejected", "revoked", "withdrawn"];
const RANK = { waiting: 0, queued: 1, decrypting: 2, no_bid: 3 };
for (const s of FINAL) RANK[s] = 3;

let state = "waiting", windowOpen = false, mine = null, header = null, busy = false;
const failed = {}; // public bid.failed events by submission id, until we know which bid is ours

const say = (text, kind) => {
  const el = $("reveal-message");
  el.textContent = text || "";
  el.className = kind || "";
};

const controls = () => {
  const usable = windowOpen && state === "queued" && !busy;
  for (const id of ["identity-file", "identity-passphrase", "decrypt-mine"]) $(id).disabled = !usable;
};

// A later state wins over an earlier one (the header's snapshot may arrive after a live event),
// unless `force` (the server put the bid back in the queue).
const setState = (next, reason, force) => {
  if (!(next in RANK)) return;
  if (!force && RANK[next] < RANK[state]) return;
  state = next;
  const el = $("my-bid-state");
  el.dataset.state = next;
  el.textContent = STATES[next] || next;
  $("reveal-panel").dataset.state = next;
  $("my-bid-reason").hidden = !reason;
  $("my-bid-reason-text").textContent = reason || "";
  controls();
};

async function fetchHeader(force) {
  let r;
  try {
    r = await fetch(`${base}/header`, { credentials: "same-origin" });
  } catch {
    say(MSG.network, "error");
    return;
  }
  const j = await r.json().catch(() => ({}));
  if (r.status === 404 && j.error === "no_bid") { setState("no_bid"); return; }
  if (!r.ok) return; // before the deadline (not_open): the panel keeps waiting
  mine = j.submission_id;
  header = base64.decode(j.header);
  setState(j.outcome, j.reason, force);
  if (failed[mine]) setState(failed[mine].outcome, failed[mine].reason);
}

const onEvent = (kind, d) => {
  switch (kind) {
    case "window.opened":
      windowOpen = true;
      controls();
      fetchHeader();
      break;
    case "custody.called": case "confirm.opened": case "record.published":
      windowOpen = false;
      controls();
      if (state === "queued") say(MSG.window_closed);
      break;
    // Events with the bidder's company as their audience: only our own bid's.
    case "bid.decrypting": setState("decrypting"); break;
    case "bid.opened": setState(d.outcome, d.reason); break;
    // Public: anyone's bid that could not be opened.
    case "bid.failed":
      if (!d.submission_id) break;
      failed[d.submission_id] = d;
      if (d.submission_id === mine) setState(d.outcome, d.reason);
      break;
  }
};

let last = 0;
const connect = () => {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(`${scheme}${location.host}/ws/openings/${encodeURIComponent(DATA.code)}/${encodeURIComponent(DATA.lot)}?after=${last}`);
  const ping = setInterval(() => { if (ws.readyState === 1) ws.send('{"type":"ping"}'); }, 15000);
  ws.onmessage = (m) => {
    const f = JSON.parse(m.data);
    if (f.type !== "event" && f.type !== "skip") return;
    if (f.seq <= last) return;
    if (f.seq > last + 1) { ws.send(JSON.stringify({ type: "resume", after: last })); return; }
    last = f.seq;
    if (f.type === "event") onEvent(f.kind, f.data || {});
  };
  ws.onclose = () => { clearInterval(ping); setTimeout(connect, 1000); };
};

// The identity file: plain (as age-keygen writes it) or protected with a passphrase (`sunbid keygen
// -p`: an armored age file to an scrypt recipient), opened here.
class Refusal extends Error {}

async function readIdentity(file, passphrase) {
  let text = await file.text();
  const head = text.trimStart();
  if (head.startsWith("-----BEGIN AGE ENCRYPTED FILE-----") || head.startsWith("age-encryption.org/")) {
    if (!passphrase) throw new Refusal(MSG.need_passphrase);
    let bytes;
    try {
      bytes = head.startsWith("-----BEGIN") ? age.armor.decode(head) : new Uint8Array(await file.arrayBuffer());
    } catch {
      throw new Refusal(MSG.bad_identity);
    }
    const d = new age.Decrypter();
    d.addPassphrase(passphrase);
    try {
      text = await d.decrypt(bytes, "text");
    } catch {
      throw new Refusal(MSG.wrong_passphrase);
    }
  }
  const keys = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  if (keys.length !== 1 || !keys[0].startsWith("AGE-SECRET-KEY-1")) throw new Refusal(MSG.bad_identity);
  try {
    return new X25519Identity(keys[0]);
  } catch {
    throw new Refusal(MSG.bad_identity);
  }
}

// The header MAC under the unwrapped key (HKDF-SHA-256 "header", then HMAC-SHA-256), as the server
// checks it; Web Crypto's HMAC where the page has it (any HTTPS page), else the server's check alone.
async function macMatches(fileKey, parsed) {
  if (!globalThis.crypto || !crypto.subtle) return true;
  const macKey = hkdf(sha256, fileKey, new Uint8Array(0), new TextEncoder().encode("header"), 32);
  const key = await crypto.subtle.importKey("raw", macKey, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  return crypto.subtle.verify("HMAC", key, parsed.MAC, parsed.headerNoMAC);
}

async function unwrap() {
  const file = $("identity-file").files[0];
  if (!file) throw new Refusal(MSG.no_file);
  const identity = await readIdentity(file, $("identity-passphrase").value);
  if (!header) await fetchHeader();
  if (!header) throw new Refusal(MSG.network);
  const parsed = await parseHeader(new ReadableStream({ start(c) { c.enqueue(header); c.close(); } }));
  let fileKey = null;
  try {
    fileKey = await identity.unwrapFileKey(parsed.stanzas);
  } catch {
    fileKey = null;
  }
  if (!fileKey) throw new Refusal(MSG.wrong_identity);
  if (!(await macMatches(fileKey, parsed))) throw new Refusal(MSG.mac_mismatch);
  return fileKey;
}

async function decryptMine() {
  if (busy || !windowOpen || state !== "queued") return;
  busy = true;
  controls();
  say(MSG.unwrapping);
  try {
    let fileKey;
    try {
      fileKey = await unwrap();
    } catch (e) {
      say(e instanceof Refusal ? e.message : MSG.bad_identity, "error");
      return;
    }
    let r;
    try {
      r = await fetch(`${base}/key`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ file_key: hex.encode(fileKey) }), // only the key, as the CLI sends it
      });
    } catch {
      say(MSG.network, "error");
      return;
    }
    fileKey.fill(0);
    setState("decrypting");
    say(MSG.sent);
    const j = await r.json().catch(() => ({}));
    if (r.ok) {
      setState(j.outcome, j.reason);
      say("");
    } else {
      await fetchHeader(true); // where the refusal left the bid (still queued, or revoked)
      say(`${MSG.refused}${j.detail || r.status}`, "error");
    }
  } finally {
    busy = false;
    $("identity-passphrase").value = "";
    controls();
  }
}

$("decrypt-mine").addEventListener("click", decryptMine);
controls();
connect();
