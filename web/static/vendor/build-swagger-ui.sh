#!/usr/bin/env bash
# Rebuilds web/static/vendor/swagger-ui/ from the pinned npm package, so the API docs page (/schema)
# works offline and under the Content-Security-Policy (no CDN). Needs npm; run from anywhere.
set -euo pipefail
VERSION=5.35.0
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/swagger-ui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null && tar xzf "swagger-ui-dist-$VERSION.tgz")
rm -rf "$OUT" && mkdir -p "$OUT"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do
  cp "$WORK/package/$f" "$OUT/$f"
done
# The bundle's source map is not shipped: drop the comment pointing at it.
sed -i -E '/^(\/\/|\/\*)# sourceMappingURL=/d' "$OUT/swagger-ui-bundle.js" "$OUT/swagger-ui.css"
echo "swagger-ui-dist@$VERSION" > "$OUT/VERSION"
