#!/usr/bin/env bash
# Refresh the vendored front-end files under peyvand/static/vendor/ from the npm registry.
# Run by a developer when upgrading; the files it writes are committed, so installing needs no npm.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/peyvand/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for spec in htmx.org@2.0.11 bootstrap@5.3.9 vazirmatn@33.0.3 @fontsource/noto-sans-thai@5.3.0; do
  npm pack --silent "$spec" >/dev/null
done
for t in *.tgz; do mkdir -p "${t%.tgz}" && tar -xzf "$t" -C "${t%.tgz}"; done
rm -rf "$dest" && mkdir -p "$dest"/{htmx,bootstrap,fonts}
cp htmx.org-*/package/dist/htmx.min.js "$dest/htmx/"
cp htmx.org-*/package/LICENSE "$dest/htmx/LICENSE"
cp bootstrap-*/package/dist/css/bootstrap.min.css bootstrap-*/package/dist/css/bootstrap.rtl.min.css "$dest/bootstrap/"
cp bootstrap-*/package/dist/js/bootstrap.bundle.min.js "$dest/bootstrap/"
cp bootstrap-*/package/LICENSE "$dest/bootstrap/LICENSE"
cp vazirmatn-*/package/fonts/webfonts/Vazirmatn\[wght\].woff2 "$dest/fonts/Vazirmatn-wght.woff2"
cp vazirmatn-*/package/OFL.txt "$dest/fonts/Vazirmatn-OFL.txt"
for w in 400 700; do
  cp fontsource-noto-sans-thai-*/package/files/noto-sans-thai-thai-$w-normal.woff2 "$dest/fonts/"
done
cp fontsource-noto-sans-thai-*/package/LICENSE "$dest/fonts/NotoSansThai-OFL.txt"
echo "vendored into $dest"
