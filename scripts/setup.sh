#!/usr/bin/env bash
# Sets up build-appeal on Debian 12 (as root): the system packages it drives (LibreOffice, CJK fonts, the
# libraries WeasyPrint loads, poppler and qpdf for checking PDFs, Tesseract for OCR), a virtual environment
# in .venv, and the package itself with its test tools. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
    libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui  # .docx/.xlsx/.pptx -> PDF
    python3-uno                                                                # one LibreOffice kept for a batch
    fonts-noto-cjk fonts-dejavu-core fonts-liberation2 fonts-symbola           # Latin, CJK, emoji glyphs
    fontconfig                                                                 # fc-list: a font's file by name
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0                       # WeasyPrint (HarfBuzz subsetting)
    poppler-utils qpdf                                                         # pdftotext, pdffonts, qpdf --check
    tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim                      # --ocr: Tesseract, English + Chinese data
)
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
# Debian's own Python makes virtual environments only with python3-venv installed.
"$python" -c "import ensurepip" 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
# (the grep drops the warnings this machine's pip.conf prints for its local package folders)
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' 2> >(grep -v "^WARNING: Location 'file:" >&2)
# An editable install leaves the package without bytecode (pip compiles only what it copies), and where
# PYTHONDONTWRITEBYTECODE is set Python then compiles every module again on every command: 50 ms each.
.venv/bin/python -m compileall -q pipeline
