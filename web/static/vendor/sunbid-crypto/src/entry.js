// What the sealing and reveal pages may use, re-exported from the pinned npm packages; no crypto of
// our own here. age-encryption exports only its index, so the two internals the reveal needs
// (unwrapping the file key from the header's stanzas, as `sunbid bid decrypt` does) are imported
// by path.
export * as age from "age-encryption";
export { X25519Identity } from "age-encryption/dist/recipients.js";
export { parseHeader, Stanza } from "age-encryption/dist/format.js";
export { ed25519 } from "@noble/curves/ed25519.js";
export { hkdf } from "@noble/hashes/hkdf.js";
export { sha256 } from "@noble/hashes/sha2.js";
export { bech32, base64, hex } from "@scure/base";
export * as fflate from "fflate";
