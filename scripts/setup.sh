#!/usr/bin/env bash
# Installs every build, run and test dependency from Debian 12 packages.
# Idempotent: packages already present are not reinstalled; apt lists are
# refreshed only when a package is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libabsl-dev libssl-dev openssl libsqlite3-dev sqlite3
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev
  python3-grpcio python3-protobuf bc iso-codes clang-14 libclang-rt-14-dev libzip-dev libexpat1-dev
  gmt-dcw libhdf5-dev libre2-dev libutf8proc-dev clang-format universal-ctags python3-rdflib
  libpng-dev libjpeg62-turbo-dev libtiff-dev python3-statsmodels python3-sklearn python3-cryptography
  libcpp-httplib-dev libbrotli-dev zlib1g-dev
  python3-requests python3-yaml python3-click python3-cloudpickle python3-packaging python3-git python3-entrypoints
  python3-sqlparse python3-pandas python3-numpy python3-tz python3-importlib-metadata python3-jinja2 python3-markdown
  python3-sqlalchemy python3-alembic python3-flask python3-werkzeug python3-docker python3-scipy
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
