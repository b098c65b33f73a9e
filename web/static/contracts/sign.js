// Sign a contract in the browser (contracts/templates/contracts/contract.html).
//
// The company's identity file (the one bids are sealed and signed with) is read here; its Ed25519
// signing key is derived as the CLI and the seal page derive it (HKDF-SHA-256, "bid-signing-key v1")
// and signs the message the server gives: b"sunbid-contract-v1\n" + the document's SHA-256 (hex).
// Only the signature is sent; the identity never leaves the page.
import { base64, ed25519 } from "/static/vendor/sunbid-crypto/sunbid-crypto.js";
import { publicKeyText, readIdentityFile, signingSeed } from "/static/bidding/seal.js";

const box = document.getElementById("sign-contract");
if (box) {
  const T = JSON.parse(document.getElementById("sign-texts").textContent);
  const $ = (id) => document.getElementById(id);
  const say = (text, kind) => {
    $("sign-status").textContent = text;
    $("sign-status").className = kind || "";
  };
  $("sign-button").addEventListener("click", async () => {
    const file = $("identity-file").files[0];
    if (!file) return say(T.identity_needed, "error");
    const found = await readIdentityFile(new Uint8Array(await file.arrayBuffer()), $("identity-passphrase").value);
    $("identity-passphrase").value = "";
    if (found.error) return say(T["identity_" + found.error] || found.error, "error");
    const seed = signingSeed(found.identity);
    if (box.dataset.key && publicKeyText(seed) !== box.dataset.key) return say(T.key_other, "error");
    say(T.signing, "");
    const signature = base64.encode(ed25519.sign(base64.decode(box.dataset.message), seed));
    const response = await fetch(box.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ signature }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) return say(body.detail || String(response.status), "error");
    say(T.signed, "ok");
    window.location.reload();
  });
}
