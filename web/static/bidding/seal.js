// Seal, sign and submit a bid in the browser (bidding/templates/bidding/seal.html).
//
// The same bid as `sunbid bid seal` + `sunbid bid submit` (bidding/client.py, bidding/cli.py):
//   package  a ZIP with bid.json (the form, JSON with 2-space indent) and attachments/<name>, deflated;
//   envelope age v1 (age-encryption, the reference TypeScript implementation) to the bidder's own
//            recipient and the tender's opening recipient;
//   manifest sunbid.bid-manifest.v1 with the envelope's SHA-256 and length, signed as
//            "sunbid-statement-v1\n" + canonical JSON with the Ed25519 key
//            HKDF-SHA-256(identity bytes, salt "sunbid", info "bid-signing-key v1");
//   upload   PUT .../submissions/{id}, raw body, the signed manifest in X-Sunbid-Manifest.
//
// Streaming: attachments are read from disk as streams, deflated natively (CompressionStream), framed
// by fflate's streaming Zip, encrypted by age's stream encrypter and hashed (SHA-256) chunk by chunk.
// The envelope is kept once, as a Blob (the browser's blob store, outside the JS heap), because the
// manifest that must precede the body names its hash; nothing else is kept. The identity, the file
// key and the plaintext never leave this page: only the envelope, the signed manifest and (if the
// bidder asks) the derived public signing key are sent.
import { age, base64, bech32, ed25519, fflate, hex, hkdf, sha256 } from "/static/vendor/sunbid-crypto/sunbid-crypto.js";

const utf8 = (text) => new TextEncoder().encode(text);
const MANIFEST_TYPE = "sunbid.bid-manifest.v1";
const SIGNING_PREFIX = "sunbid-statement-v1\n";
const BLOB_PART = 4 * 1024 * 1024;
const MONEY_PLACES = 2;
const YIELD_EVERY = 1024 * 1024;
const yieldToPage = () =>
  globalThis.scheduler && scheduler.yield ? scheduler.yield() : new Promise((r) => setTimeout(r, 0));

// --- keys and statements (the CLI's crypto/signing.py and bidding/client.py, in JS) ------------

export function signingSeed(identity) {
  const secret = bech32.decodeToBytes(identity.toLowerCase()).bytes;
  return hkdf(sha256, secret, utf8("sunbid"), utf8("bid-signing-key v1"), 32);
}

export function publicKeyText(seed) {
  return "ed25519:" + base64.encode(ed25519.getPublicKey(seed));
}

/** Canonical JSON as crypto/signing.py's canonical_json: sorted keys (UTF-16 order), no spaces. */
export function canonicalJson(value) {
  if (value === null) return "null";
  if (value === true || value === false) return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`not a safe integer: ${value}`);
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (typeof value === "object") {
    // Array.prototype.sort compares strings by UTF-16 code units, as JCS (RFC 8785) asks.
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }
  throw new Error(`cannot encode ${typeof value} as canonical JSON`);
}

export function signStatement(statement, seed) {
  const message = utf8(SIGNING_PREFIX + canonicalJson(statement));
  const signature = ed25519.sign(message, seed);
  const keyId = hex.encode(sha256(ed25519.getPublicKey(seed)).subarray(0, 8));
  return { statement, signature: base64.encode(signature), key_id: keyId };
}

export function utcTimestamp(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function manifestHeader(signed) {
  const b64 = base64.encode(utf8(canonicalJson(signed)));
  return b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The one AGE-SECRET-KEY-1 line of an identity file (text), as bidding/cli.py's load_identity. */
export function identityIn(text) {
  const found = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  const keys = found.filter((line) => line.startsWith("AGE-SECRET-KEY-1"));
  if (keys.length === 0 || keys.length !== found.length) return { error: keys.length ? "many" : "none" };
  if (keys.length > 1) return { error: "many" };
  return { identity: keys[0] };
}

/** Open an identity file: plain text, or age-encrypted with a passphrase (armored or binary). */
export async function readIdentityFile(bytes, passphrase) {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  let text;
  if (head.startsWith("-----BEGIN AGE ENCRYPTED FILE-----") || head.startsWith("age-encryption.org/")) {
    const d = new age.Decrypter();
    d.addPassphrase(passphrase);
    const file = head.startsWith("-----BEGIN") ? age.armor.decode(new TextDecoder().decode(bytes)) : bytes;
    try {
      text = await d.decrypt(file, "text");
    } catch (e) {
      return { error: "passphrase" };
    }
  } else {
    text = new TextDecoder().decode(bytes);
  }
  return identityIn(text);
}

export async function identityFileText(identity, recipient, passphrase) {
  const created = utcTimestamp();
  const text = `# created: ${created}\n# public key: ${recipient}\n${identity}\n`;
  if (!passphrase) return text;
  const e = new age.Encrypter();
  e.setPassphrase(passphrase);
  return age.armor.encode(await e.encrypt(text));
}

// --- the bid package: a streaming ZIP whose entries are deflated natively ------------------------

/** One ZIP entry fed from CompressionStream("gzip"): the deflate body goes into the ZIP, the gzip
 * trailer gives the CRC-32 and size, so the browser's zlib does both (as Python's zipfile does). */
class GzipEntry {
  constructor(name, size) {
    this.filename = name;
    this.compression = 8;
    this.size = size;
    this.crc = 0;
    this.header = 10;
    this.tail = new Uint8Array(0);
  }

  feed(chunk) {
    if (this.header > 0) {
      if (this.header === 10 && (chunk[0] !== 0x1f || chunk[1] !== 0x8b || chunk[3] !== 0)) {
        throw new Error("unexpected gzip header from CompressionStream");
      }
      const skip = Math.min(this.header, chunk.length);
      this.header -= skip;
      chunk = chunk.subarray(skip);
    }
    if (chunk.length === 0) return;
    if (chunk.length >= 8) {
      if (this.tail.length) this.ondata(null, this.tail, false);
      this.ondata(null, chunk.subarray(0, chunk.length - 8), false);
      this.tail = chunk.slice(chunk.length - 8);
    } else {
      const joined = new Uint8Array(this.tail.length + chunk.length);
      joined.set(this.tail);
      joined.set(chunk, this.tail.length);
      const cut = Math.max(0, joined.length - 8);
      if (cut) this.ondata(null, joined.subarray(0, cut), false);
      this.tail = joined.slice(cut);
    }
  }

  finish() {
    const view = new DataView(this.tail.buffer, this.tail.byteOffset, 8);
    this.crc = view.getUint32(0, true);
    if (view.getUint32(4, true) !== this.size % 2 ** 32) throw new Error("gzip size mismatch");
    this.ondata(null, new Uint8Array(0), true);
  }
}

/** A ReadableStream of the ZIP's bytes, pulling each entry's source only as fast as it is read.
 * entries: [{name, size, stream(): ReadableStream<Uint8Array>}]; onRead(n) counts plaintext read. */
export function zipStream(entries, onRead) {
  let queue = [];
  let finished = false;
  let failure = null;
  const zip = new fflate.Zip((err, data, final) => {
    if (err) failure = err;
    else {
      if (data.length) queue.push(data);
      if (final) finished = true;
    }
  });
  let index = -1;
  let reader = null;
  let entry = null;
  return new ReadableStream(
    {
      async pull(controller) {
        for (;;) {
          if (failure) throw failure;
          if (queue.length) {
            for (const part of queue) controller.enqueue(part);
            queue = [];
            return;
          }
          if (finished) {
            controller.close();
            return;
          }
          if (reader === null) {
            index += 1;
            if (index === entries.length) {
              zip.end();
              continue;
            }
            const source = entries[index];
            entry = new GzipEntry(source.name, source.size);
            zip.add(entry);
            const counted = source.stream().pipeThrough(
              new TransformStream({
                transform(chunk, c) {
                  onRead(chunk.length);
                  c.enqueue(chunk);
                },
              }),
            );
            reader = counted.pipeThrough(new CompressionStream("gzip")).getReader();
            continue;
          }
          const { value, done } = await reader.read();
          if (done) {
            entry.finish();
            reader = null;
          } else {
            entry.feed(value);
          }
        }
      },
    },
    { highWaterMark: 0 },
  );
}

export function bidJson(form) {
  // json.dumps(form, ensure_ascii=False, indent=2), as bidding/client.py's build_package writes it
  return JSON.stringify(form, null, 2);
}

function bytesStream(bytes) {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

/**
 * Seal a bid: returns {envelope: Blob, sha256, length, signed} with the manifest signed.
 * files: File objects (streamed from disk); recipients: [bidder's, opening]; onProgress(done, total).
 */
export async function sealBid({ form, files, identity, recipient, openingRecipient, manifest, onProgress }) {
  const json = utf8(bidJson(form));
  const entries = [{ name: "bid.json", size: json.length, stream: () => bytesStream(json) }];
  for (const file of files) entries.push({ name: `attachments/${file.name}`, size: file.size, stream: () => file.stream() });
  const total = entries.reduce((n, e) => n + e.size, 0);
  let read = 0;
  const plain = zipStream(entries, (n) => {
    read += n;
    if (onProgress) onProgress(read, total);
  });
  const encrypter = new age.Encrypter();
  encrypter.addRecipient(recipient);
  encrypter.addRecipient(openingRecipient);
  const sealed = await encrypter.encrypt(plain);
  const digest = sha256.create();
  const parts = [];
  let pending = [];
  let pendingBytes = 0;
  let length = 0;
  const reader = sealed.getReader();
  let sinceYield = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    sinceYield += value.length;
    if (sinceYield >= YIELD_EVERY) {
      // The stream's promises chain as microtasks; let the page paint and take input between MiBs.
      sinceYield = 0;
      await yieldToPage();
    }
    digest.update(value);
    length += value.length;
    pending.push(value);
    pendingBytes += value.length;
    if (pendingBytes >= BLOB_PART) {
      parts.push(new Blob(pending));
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pending.length) parts.push(new Blob(pending));
  const envelope = new Blob(parts, { type: "application/octet-stream" });
  const envelopeSha256 = hex.encode(digest.digest());
  const statement = {
    type: MANIFEST_TYPE,
    tender: manifest.tender,
    lot: manifest.lot,
    bidder: manifest.bidder,
    submission_id: manifest.submission_id,
    supersedes: manifest.supersedes ?? null,
    envelope_sha256: envelopeSha256,
    envelope_length: length,
    client_time: utcTimestamp(),
  };
  const signed = signStatement(statement, signingSeed(identity));
  return { envelope, sha256: envelopeSha256, length, signed };
}

/**
 * What identifies this browser and machine for the integrity evidence (docs/integrity-evidence.md):
 * read locally; only the SHA-256 of its canonical JSON is sent (X-Sunbid-Device), and the server keys
 * that with the platform-wide key before storing it, so equal devices match across bidders.
 */
export function deviceDescription(nav = navigator, scr = screen) {
  return {
    kind: "browser",
    user_agent: String(nav.userAgent || ""),
    platform: String(nav.platform || ""),
    languages: Array.from(nav.languages || [nav.language || ""]).map(String),
    cores: Number.isSafeInteger(nav.hardwareConcurrency) ? nav.hardwareConcurrency : 0,
    memory: String(nav.deviceMemory || ""),
    screen: `${scr.width}x${scr.height}x${scr.colorDepth}`,
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "",
  };
}

export function deviceDigest(description = deviceDescription()) {
  return hex.encode(sha256(utf8(canonicalJson(description))));
}

/** PUT the envelope (XHR for upload progress); resolves {status, body}. */
export function uploadEnvelope({ url, headerName, signed, envelope, onProgress, deviceHeader }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener("load", () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText || "{}");
      } catch (e) {
        body = { error: "bad_response", detail: xhr.responseText.slice(0, 200) };
      }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener("error", () => reject(new Error("network")));
    xhr.addEventListener("abort", () => reject(new Error("network")));
    xhr.open("PUT", url);
    xhr.setRequestHeader(headerName, manifestHeader(signed));
    if (deviceHeader) xhr.setRequestHeader(deviceHeader, deviceDigest());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.send(envelope);
  });
}

export function submissionUrl(m) {
  const e = encodeURIComponent;
  return `/api/tenders/${e(m.tender)}/lots/${e(m.lot)}/submissions/${e(m.submission_id)}`;
}

// --- the bid form, drawn from the lot's bid-form JSON Schema (bidding/bid_form.py) --------------

/** Compare two plain non-negative decimal strings ("11500000.00", "0.5") exactly. */
export function compareDecimal(a, b) {
  const [ai, af = ""] = a.split(".");
  const [bi, bf = ""] = b.split(".");
  const width = Math.max(af.length, bf.length);
  const x = BigInt(ai + af.padEnd(width, "0"));
  const y = BigInt(bi + bf.padEnd(width, "0"));
  return x < y ? -1 : x > y ? 1 : 0;
}

const fieldOf = (prop) => (prop.anyOf ? prop.anyOf[0] : prop);

/** The form's inputs, one per schema property, in the schema's order. */
export function renderForm(schema, container, lang) {
  container.textContent = "";
  const required = new Set(schema.required || []);
  for (const [name, prop] of Object.entries(schema.properties)) {
    const field = fieldOf(prop);
    const kind = prop["x-kind"] || field["x-kind"];
    const p = document.createElement("p");
    const label = document.createElement("label");
    label.htmlFor = `field-${name}`;
    label.textContent = (prop.title || name) + (field["x-unit"] ? `（${field["x-unit"]}）` : "");
    p.append(label, document.createElement("br"));
    let input;
    if (field.enum) {
      input = document.createElement("select");
      const blank = document.createElement("option");
      blank.value = "";
      blank.textContent = "—";
      input.append(blank);
      for (const value of field.enum) {
        const option = document.createElement("option");
        option.value = value;
        const labels = field["x-enum-labels"] && field["x-enum-labels"][value];
        option.textContent = labels ? labels[lang === "en" ? 1 : 0] : value;
        input.append(option);
      }
    } else if (kind === "attachment") {
      input = document.createElement("input");
      input.type = "file";
    } else if (kind === "bill_of_quantities") {
      // One row a line: item, unit, quantity, unit price (tabs as pasted from a spreadsheet, or commas).
      input = document.createElement("textarea");
      input.rows = 6;
      input.cols = 60;
      const row = field.examples[0][0];
      input.placeholder = [row.item, row.unit, row.quantity, row.unit_price].join("\t");
    } else {
      input = document.createElement("input");
      if (kind === "decimal") input.inputMode = "decimal";
      if (kind === "integer") input.inputMode = "numeric";
      if (field.maxLength) input.maxLength = field.maxLength;
    }
    input.id = `field-${name}`;
    input.name = name;
    input.dataset.kind = kind;
    input.dataset.required = required.has(name) ? "true" : "false";
    if (field.examples && kind !== "attachment" && !field.enum) input.placeholder = String(field.examples[0]);
    const error = document.createElement("span");
    error.className = "error field-error";
    error.id = `error-${name}`;
    p.append(input, " ", error);
    container.append(p);
  }
}

/** Read and check the form against the schema: {form, files} or null (messages under the fields). */
export function readSchemaForm(schema, T, fill) {
  const form = {};
  const files = [];
  let ok = true;
  for (const [name, prop] of Object.entries(schema.properties)) {
    const field = fieldOf(prop);
    const input = document.getElementById(`field-${name}`);
    const error = document.getElementById(`error-${name}`);
    const kind = input.dataset.kind;
    const bad = (text) => {
      error.textContent = text;
      ok = false;
    };
    error.textContent = "";
    if (kind === "attachment") {
      const file = input.files[0];
      if (!file) {
        if (input.dataset.required === "true") bad(T.field_required);
        continue;
      }
      form[name] = file.name;
      files.push(file);
      continue;
    }
    if (kind === "bill_of_quantities") {
      const lines = input.value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      if (!lines.length) {
        if (input.dataset.required === "true") bad(T.field_required);
        continue;
      }
      const columns = field.items.properties;
      const rows = [];
      for (const [i, line] of lines.entries()) {
        const cells = line.split(line.includes("\t") ? "\t" : ",").map((c) => c.trim());
        const row = { item: cells[0], unit: cells[1], quantity: cells[2], unit_price: cells[3] };
        const wrong =
          cells.length !== 4 ||
          !row.item ||
          !row.unit ||
          !new RegExp(columns.quantity.pattern).test(row.quantity || "") ||
          !new RegExp(columns.unit_price.pattern).test(row.unit_price || "");
        if (wrong) {
          bad(fill(T.boq_row, { n: i + 1 }));
          break;
        }
        rows.push(row);
      }
      if (rows.length === lines.length) form[name] = rows;
      continue;
    }
    const raw = input.value.trim();
    // thousands separators are fine in numbers ("2,850,000.00")
    const value = kind === "decimal" || kind === "integer" ? raw.replace(/[,，\s]/g, "") : raw;
    if (!value) {
      if (input.dataset.required === "true") bad(T.field_required);
      continue;
    }
    if (kind === "decimal") {
      const places = Number((/\{1,(\d+)\}\)\?\$$/.exec(field.pattern || "") || [0, 6])[1]);
      if (!new RegExp(field.pattern).test(value)) {
        bad(fill(T.field_decimal, { places }));
        continue;
      }
      if (field["x-decimal-minimum"] && compareDecimal(value, field["x-decimal-minimum"]) < 0) {
        bad(fill(T.field_min, { min: amount(field["x-decimal-minimum"], field["x-unit"]) }));
        continue;
      }
      if (field["x-decimal-maximum"] && compareDecimal(value, field["x-decimal-maximum"]) > 0) {
        bad(fill(T.field_max, { max: amount(field["x-decimal-maximum"], field["x-unit"]) }));
        continue;
      }
      form[name] = name === "price" ? padPrice(value) : value;
    } else if (kind === "integer") {
      if (!/^-?\d{1,15}$/.test(value)) {
        bad(T.field_integer);
        continue;
      }
      const number = Number(value);
      if (field.minimum !== undefined && number < field.minimum) {
        bad(fill(T.field_min, { min: amount(String(field.minimum), field["x-unit"]) }));
        continue;
      }
      if (field.maximum !== undefined && number > field.maximum) {
        bad(fill(T.field_max, { max: amount(String(field.maximum), field["x-unit"]) }));
        continue;
      }
      form[name] = number;
    } else {
      if (field.maxLength && value.length > field.maxLength) {
        bad(fill(T.field_too_long, { n: field.maxLength }));
        continue;
      }
      form[name] = value;
    }
  }
  return ok ? { form, files } : null;
}

/** "11500000.00", "元" -> "11,500,000.00 元": thousands separators and the unit, as pages show amounts. */
export function amount(text, unit) {
  const grouped = text.replace(/^\d+/, (whole) => whole.replace(/\B(?=(\d{3})+(?!\d))/g, ","));
  return unit ? `${grouped} ${unit}` : grouped;
}

// A price as the CLI's examples write it: two decimal places ("2850000.5" -> "2850000.50").
function padPrice(value) {
  const [whole, frac = ""] = value.split(".");
  return `${whole}.${frac.padEnd(MONEY_PLACES, "0")}`;
}

// --- the page ------------------------------------------------------------------------------------

const dataNode = document.getElementById("seal-data");
if (dataNode) page(JSON.parse(dataNode.textContent), JSON.parse(document.getElementById("seal-texts").textContent));

function page(data, T) {
  const $ = (id) => document.getElementById(id);
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));
  const beijing = (iso) =>
    new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : "zh-CN", {
      timeZone: "Asia/Shanghai",
      dateStyle: "medium",
      timeStyle: "medium",
    }).format(new Date(iso));
  const grouped = (n) => n.toLocaleString(document.documentElement.lang === "en" ? "en-US" : "zh-CN");
  const state = { identity: null, recipient: null, unsaved: false, sealed: null, submissionId: null };
  const status = $("seal-status");
  const say = (node, text, kind) => {
    node.textContent = text;
    node.className = kind || "";
  };
  const download = (link, blob, name) => {
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.download = name;
  };

  async function useIdentity(identity) {
    state.identity = identity;
    state.recipient = await age.identityToRecipient(identity);
    say($("identity-status"), T.identity_loaded + state.recipient, "ok");
    const key = publicKeyText(signingSeed(identity));
    $("signing-key").hidden = false;
    $("signing-key-text").textContent = key;
    const register = $("signing-key-register");
    if (data.signing_key === key) {
      say($("signing-key-status"), T.key_ok, "ok");
      register.hidden = true;
    } else {
      say($("signing-key-status"), data.signing_key ? T.key_other : T.key_none, "warn");
      register.hidden = false;
    }
  }

  $("identity-load").addEventListener("click", async () => {
    const file = $("identity-file").files[0];
    if (!file) return say($("identity-status"), T.identity_needed, "error");
    const found = await readIdentityFile(new Uint8Array(await file.arrayBuffer()), $("identity-passphrase").value);
    $("identity-passphrase").value = "";
    if (found.error) return say($("identity-status"), T["identity_" + found.error], "error");
    state.unsaved = false;
    $("identity-new").hidden = true;
    await useIdentity(found.identity);
  });

  $("identity-generate").addEventListener("click", async () => {
    const identity = await age.generateIdentity();
    state.unsaved = true;
    $("identity-new").hidden = false;
    await useIdentity(identity);
  });

  $("identity-download").addEventListener("click", async () => {
    const passphrase = $("identity-new-passphrase").value;
    const text = await identityFileText(state.identity, state.recipient, passphrase);
    $("identity-new-passphrase").value = "";
    const link = document.createElement("a");
    download(link, new Blob([text], { type: "text/plain" }), `sunbid-identity-${data.bidder}.txt`);
    document.body.appendChild(link);
    link.click();
    link.remove();
    state.unsaved = false;
  });

  $("signing-key-register").addEventListener("click", async () => {
    const key = $("signing-key-text").textContent;
    const response = await fetch(`/api/organisations/${data.organisation_id}/signing-key`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ signing_key: key }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) return say($("signing-key-status"), `${T.failed}${body.detail || response.status}`, "error");
    data.signing_key = body.signing_key;
    say($("signing-key-status"), T.key_registered, "ok");
    $("signing-key-register").hidden = true;
  });

  async function submit() {
    const m = {
      tender: data.tender,
      lot: data.lot,
      bidder: data.bidder,
      submission_id: state.submissionId,
      supersedes: $("supersedes") && $("supersedes").checked ? data.supersedes : null,
    };
    say(status, T.uploading);
    const url = submissionUrl(m);
    let result;
    try {
      const known = await fetch(`/api/submissions/${encodeURIComponent(m.submission_id)}`);
      if (known.status === 200) {
        result = { status: 200, body: (await known.json()).receipt };
      } else {
        result = await uploadEnvelope({
          url,
          headerName: data.manifest_header,
          deviceHeader: data.device_header,
          signed: state.sealed.signed,
          envelope: state.sealed.envelope,
          onProgress: (done, total) => ($("upload-progress").value = (100 * done) / total),
        });
      }
    } catch (e) {
      say(status, T.network, "error");
      $("seal-retry").hidden = false;
      return;
    }
    $("seal-retry").hidden = true;
    if (result.status !== 200 && result.status !== 201) {
      say(status, `${T.failed}${result.body.detail || result.body.error || result.status}`, "error");
      return;
    }
    $("upload-progress").value = 100;
    showReceipt(result.body);
  }

  function showReceipt(bundle) {
    const r = bundle.receipt.statement;
    const sealed = state.sealed;
    say(status, `✔ ${T.accepted}`, "ok");
    $("seal-receipt").hidden = false;
    $("seal-receipt-text").textContent =
      `${T.submission} ${r.submission_id} · ${T.server_time} ${beijing(r.server_time)} · ` +
      `${T.audit} #${r.audit_index} · ${T.envelope} ${grouped(sealed.length)} ${T.bytes}, SHA-256 ${sealed.sha256}`;
    const json = (value) => new Blob([JSON.stringify(value, null, 2) + "\n"], { type: "application/json" });
    const base = `bid-${data.tender}-${data.lot}-${r.submission_id}.age`;
    download($("receipt-download"), json(bundle), `${base}.receipt.json`);
    download($("manifest-download"), new Blob([canonicalJson(sealed.signed) + "\n"], { type: "application/json" }), `${base}.manifest.json`);
    download($("envelope-download"), sealed.envelope, base);
  }

  renderForm(data.schema, $("bid-form"), document.documentElement.lang === "en" ? "en" : "zh");
  $("seal-retry").textContent = T.retry;
  $("seal-retry").addEventListener("click", submit);

  $("seal-submit").addEventListener("click", async () => {
    if (!state.identity) return say(status, T.identity_needed, "error");
    if (state.unsaved) return say(status, T.identity_unsaved, "error");
    const read = readSchemaForm(data.schema, T, fill);
    if (!read) return say(status, T.form_invalid, "error");
    const form = read.form;
    const files = [...read.files, ...Array.from($("attachments").files)];
    const names = new Set();
    for (const f of files) {
      if (names.has(f.name)) return say(status, T.duplicate_name + f.name, "error");
      names.add(f.name);
    }
    const button = $("seal-submit");
    button.disabled = true;
    try {
      state.submissionId = crypto.randomUUID();
      say(status, T.sealing);
      $("seal-receipt").hidden = true;
      $("upload-progress").value = 0;
      state.sealed = await sealBid({
        form,
        files,
        identity: state.identity,
        recipient: state.recipient,
        openingRecipient: data.opening_recipient,
        manifest: {
          tender: data.tender,
          lot: data.lot,
          bidder: data.bidder,
          submission_id: state.submissionId,
          supersedes: $("supersedes") && $("supersedes").checked ? data.supersedes : null,
        },
        onProgress: (done, total) => ($("seal-progress").value = total ? (100 * done) / total : 100),
      });
      $("seal-progress").value = 100;
      if (state.sealed.length > data.max_envelope_bytes) {
        say(status, fill(T.too_large, { mib: Math.floor(data.max_envelope_bytes / 1048576) }), "error");
        return;
      }
      await submit();
    } catch (e) {
      say(status, `${T.failed}${e.message || e}`, "error");
    } finally {
      button.disabled = false;
    }
  });
}
