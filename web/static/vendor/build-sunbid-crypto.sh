#!/usr/bin/env bash
# Rebuilds web/static/vendor/sunbid-crypto/sunbid-crypto.js (an ES module) from the npm versions
# pinned in sunbid-crypto/src/package-lock.json, so the bidder's browser seals and reveals bids with
# the age reference implementation and audited primitives, offline and under the CSP (no CDN).
# Needs node and npm; run from anywhere. The output is byte-for-byte the same on every run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/sunbid-crypto"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp "$OUT/src/package.json" "$OUT/src/package-lock.json" "$OUT/src/entry.js" "$WORK/"
(cd "$WORK" && npm ci --silent --no-audit --no-fund >/dev/null)
# age-encryption's package.json exports only its index; the entry reaches two internals by path.
(cd "$WORK" && sed -i 's#"age-encryption/dist/#"./node_modules/age-encryption/dist/#' entry.js \
  && node_modules/.bin/esbuild entry.js --bundle --format=esm --minify --target=es2022 \
       --legal-comments=none --charset=utf8 --outfile=sunbid-crypto.js --log-level=warning)
cp "$WORK/sunbid-crypto.js" "$OUT/sunbid-crypto.js"
{
  echo "sunbid-crypto.js bundles the following npm packages; their licences follow."
  for pkg in age-encryption @noble/ciphers @noble/curves @noble/hashes @noble/post-quantum @scure/base fflate; do
    dir="$WORK/node_modules/$pkg"
    version="$(node -p "require('$dir/package.json').version")"
    echo
    echo "==== $pkg@$version ===="
    cat "$dir"/LICENSE* 2>/dev/null || node -p "'License: ' + require('$dir/package.json').license"
  done
} > "$OUT/LICENSES.txt"
(cd "$WORK" && node -p "Object.entries(require('./package-lock.json').packages).filter(([k]) => k.startsWith('node_modules/') && !k.includes('esbuild')).map(([k, v]) => k.slice(13) + '@' + v.version).join('\n')") > "$OUT/VERSION"
