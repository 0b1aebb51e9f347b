#!/bin/sh
# Installs the Debian packages the tests need, only when one is missing.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v softhsm2-util >/dev/null 2>&1 || missing="$missing softhsm2"
command -v pdfsig >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v certutil >/dev/null 2>&1 || missing="$missing libnss3-tools"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v qpdf >/dev/null 2>&1 || missing="$missing qpdf"
# The shifted-clock run preloads libfaketime (the faketime package brings it).
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || missing="$missing faketime"
command -v gs >/dev/null 2>&1 || missing="$missing ghostscript"
# The third-party corpus: scanned images wrapped by img2pdf, LibreOffice Writer's PDF export
# (the nogui flavour, without X: a few hundred MB; the tests skip it when it is absent).
command -v img2pdf >/dev/null 2>&1 || missing="$missing img2pdf"
command -v soffice >/dev/null 2>&1 || missing="$missing libreoffice-writer-nogui"
# `make loadtest` drives the web processes with wrk (HTTP load at a fixed concurrency, latency percentiles).
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
