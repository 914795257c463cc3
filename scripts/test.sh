#!/usr/bin/env bash
# The test command: installs what it needs, then runs every check and test.
#   scripts/test.sh          everything
#   scripts/test.sh --quick  skip clippy, the docs build and the fuzz smoke
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

section() { printf '\n==== %s ====\n' "$*"; }

section "system packages: Debian's libzmq with ws (python3-zmq), Chromium"
packages=(python3-zmq libzmq3-dev chromium)
command -v npm >/dev/null || packages+=(nodejs npm)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    sudo=""
    [[ $(id -u) != 0 ]] && sudo="sudo"
    $sudo apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}"
fi

section "python venv with pyzmq (interop peer)"
if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -r interop/requirements.txt; then
    echo "pip install failed" >&2
    exit 1
fi
.venv/bin/python -c 'import zmq; print("pyzmq", zmq.pyzmq_version(), "libzmq", zmq.zmq_version())'

section "python venv on Debian's python3-zmq (libzmq 4.3.4 with ws)"
if [[ ! -x .venv-debian/bin/python ]]; then
    /usr/bin/python3 -m venv --system-site-packages .venv-debian
fi
.venv-debian/bin/python -m pip install --quiet --disable-pip-version-check pytest==8.3.3 pytest-timeout==2.3.1
.venv-debian/bin/python -c 'import zmq; assert zmq.has("WS"); print("python3-zmq", zmq.pyzmq_version(), "libzmq", zmq.zmq_version())'

section "npm packages: zeromq.js, jszmq, ws, playwright-core, @noble/curves, @noble/ciphers, esbuild"
(cd web && npm ci --no-audit --no-fund --loglevel=error)
# ferrozmq-curve.js is committed (the CLI embeds it); it must be what its
# source and the locked packages make.
mkdir -p target
(cd web && npm run --silent bundle -- --outfile=../target/ferrozmq-curve.js --log-level=warning)
cmp web/ferrozmq-curve.js target/ferrozmq-curve.js ||
    { echo "web/ferrozmq-curve.js is stale: run 'npm run bundle' in web/"; exit 1; }
(cd interop/js && npm ci --no-audit --no-fund --loglevel=error)

section "format"
cargo fmt --all --check
cargo fmt --manifest-path bench/Cargo.toml --check
cargo fmt --manifest-path bench/rivals/monocoque-smol/Cargo.toml --check
cargo fmt --manifest-path fuzz/Cargo.toml --check

if [[ $quick == 0 ]]; then
    section "clippy"
    cargo clippy --workspace --all-targets -- -D warnings
    section "clippy (bench and its rival helper: compiled, not run; libzmq is linked only when built)"
    (cd bench && cargo clippy --all-targets -- -D warnings)
    (cd bench/rivals/monocoque-smol && cargo clippy --all-targets -- -D warnings)
    section "clippy (fuzz targets)"
    (cd fuzz && cargo clippy --all-targets -- -D warnings)
    section "docs"
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
fi

section "unit, integration and doc tests"
# Every wait in the tests is bounded; this bounds the whole in case one is not.
timeout 20m cargo test --workspace

section "interop against pyzmq"
cargo build --quiet -p ferrozmq-cli
cargo build --quiet -p ferrozmq-interop --example ferrozmq-peer
(cd interop && ../.venv/bin/python -m pytest -v tests)

section "interop over ws against Debian's libzmq 4.3.4"
(cd interop && ../.venv-debian/bin/python -m pytest -v tests/test_ws_libzmq.py)

section "interop over ws against zeromq.js and jszmq"
node --test interop/js/

section "the browser module against libzmq, and the demo page in headless Chromium"
node --test web/test/*.test.mjs
node --test web/browser-test/
echo "screenshots: target/web/"

if [[ $quick == 0 ]]; then
    section "fuzz smoke: every proto parser for 10 s (scripts/fuzz.sh N for longer)"
    scripts/fuzz.sh 10
fi
