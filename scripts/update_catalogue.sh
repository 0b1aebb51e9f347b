#!/bin/sh
# Extract the French msgids from the code and templates, then merge them into every catalogue.
# New strings appear untranslated (msgstr ""): translate them in entrypoints/locale/<lang>/LC_MESSAGES/messages.po.
set -eu
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-pybabel}
"$PYBABEL" extract -F babel.cfg -k N_ --no-location --sort-output --project=Seing \
    --msgid-bugs-address=dev@seing.invalid -o entrypoints/locale/messages.pot . >/dev/null
if [ -f entrypoints/locale/en/LC_MESSAGES/messages.po ]; then
    "$PYBABEL" update --width=120 --no-fuzzy-matching --ignore-obsolete -i entrypoints/locale/messages.pot -d entrypoints/locale -D messages
else
    "$PYBABEL" init -i entrypoints/locale/messages.pot -d entrypoints/locale -D messages -l en
fi
