#!/usr/bin/env bash
# Installs what a fresh machine needs to build and test the project. Idempotent.
# The Rust toolchain (cargo, rustc, rustfmt, clippy) comes with the machine; SQLite is bundled
# by rusqlite and protobuf is compiled by protox, so no system protoc or libsqlite is needed.
# Audio needs libasound2-dev (cpal) and pocketsphinx + pocketsphinx-en-us (speech to text).
# The C interface's tests need valgrind and Mono (mono-mcs, mono-runtime).
set -euo pipefail

need_apt=()
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v cc >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1 || need_apt+=(build-essential)
# CI's module-layering check (scripts/check_module_cycles.py).
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
# yim-audio: ALSA headers for cpal (feature `cpal`, built by --all-features), and the offline
# speech recogniser with its English model (PocketSphinx CLI, tested on fixtures/audio).
dpkg -s libasound2-dev >/dev/null 2>&1 || need_apt+=(libasound2-dev)
command -v pocketsphinx_continuous >/dev/null 2>&1 || need_apt+=(pocketsphinx)
[ -d /usr/share/pocketsphinx/model/en-us ] || need_apt+=(pocketsphinx-en-us)
# yim-ffi's tests: chat.c is compiled by gcc (build-essential, above) and run once under
# valgrind's memcheck; Chat.cs is compiled by Mono's mcs and run by mono.
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
command -v mcs >/dev/null 2>&1 || need_apt+=(mono-mcs)
command -v mono >/dev/null 2>&1 || need_apt+=(mono-runtime)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "setup: please install: ${need_apt[*]}" >&2
    exit 1
  fi
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
    rustup component add "$component"
  fi
done
# CI runs every fuzz target for a bounded time (.ci/run): cargo-fuzz, on stable with
# RUSTC_BOOTSTRAP=1 (libFuzzer's instrumentation flags are nightly-only otherwise).
if ! cargo fuzz --version 2>/dev/null | grep -q "0.13.2"; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
cargo --version
