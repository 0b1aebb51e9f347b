#!/bin/sh
# Copy the front-end libraries installed by npm (package.json + package-lock.json) into the
# static folder the web app serves. vendor/ is git-ignored: it is rebuilt, never edited.
# The files to copy are listed in scripts/vendor_files.txt.
set -eu
cd "$(dirname "$0")/.."
# axe-core is a devDependency: the browser tests inject it to check accessibility (WCAG 2.1 AA).
if [ ! -d node_modules/@picocss/pico ] || [ ! -d node_modules/htmx.org ] || [ ! -d node_modules/axe-core ] \
        || [ ! -d node_modules/sortablejs ]; then
    npm ci --no-audit --no-fund
fi
dest=entrypoints/web/static/vendor
rm -rf "$dest"
grep -v '^[[:space:]]*\(#\|$\)' scripts/vendor_files.txt | while read -r source folder; do
    mkdir -p "$dest/$folder"
    case "$source" in
        */LICENSE*) cp "node_modules/$source" "$dest/$folder/" 2>/dev/null || true ;;
        *) cp "node_modules/$source" "$dest/$folder/" ;;
    esac
done
echo "vendored front-end libraries into $dest"
