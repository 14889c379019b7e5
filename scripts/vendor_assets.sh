#!/bin/sh
# Front-end assets come from the npm registry at build time and are vendored into the package,
# so the web app never loads anything from the internet at run time. Pinned by version and integrity.
set -eu
DEST=src/wangdi/web/static/vendor
NAME=echarts
VERSION=5.6.0
INTEGRITY="sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA=="
[ -s "$DEST/echarts.min.js" ] && grep -q "$VERSION" "$DEST/VERSION" 2>/dev/null && exit 0
command -v npm >/dev/null || { echo "需要 npm（Node.js）以获取前端资源 echarts@$VERSION" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "$NAME@$VERSION" >/dev/null)
GOT="sha512-$(openssl dgst -sha512 -binary "$TMP/$NAME-$VERSION.tgz" | base64 -w0)"
[ "$GOT" = "$INTEGRITY" ] || { echo "echarts-$VERSION.tgz 完整性校验失败：$GOT" >&2; exit 1; }
tar -xzf "$TMP/$NAME-$VERSION.tgz" -C "$TMP" package/dist/echarts.min.js package/LICENSE
mkdir -p "$DEST"
cp "$TMP/package/dist/echarts.min.js" "$DEST/echarts.min.js"
cp "$TMP/package/LICENSE" "$DEST/LICENSE-echarts"
echo "$NAME $VERSION $INTEGRITY (npm)" > "$DEST/VERSION"
echo "已获取 $NAME@$VERSION → $DEST"
