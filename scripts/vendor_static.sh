#!/bin/sh
# Copy the front-end libraries installed by npm (package.json + package-lock.json) into the
# static folder the web app serves. vendor/ is git-ignored: it is rebuilt, never edited.
set -eu
cd "$(dirname "$0")/.."
# axe-core is a devDependency: the browser tests inject it to check accessibility (WCAG 2.1 AA).
if [ ! -d node_modules/@picocss/pico ] || [ ! -d node_modules/htmx.org ] || [ ! -d node_modules/axe-core ]; then
    npm ci --no-audit --no-fund
fi
dest=entrypoints/web/static/vendor
rm -rf "$dest"
mkdir -p "$dest/pico" "$dest/htmx"
cp node_modules/@picocss/pico/css/pico.min.css "$dest/pico/"
cp node_modules/@picocss/pico/LICENSE.md "$dest/pico/" 2>/dev/null || true
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx/"
cp node_modules/htmx.org/LICENSE "$dest/htmx/" 2>/dev/null || true
echo "vendored front-end libraries into $dest"
