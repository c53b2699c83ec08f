#!/bin/bash
# Builds the Dockerfile-parser fuzzer with clang (-fsanitize=fuzzer,address,undefined) outside
# Bazel, seeds a corpus from testdata/dockerfiles and BuildKit's conformance cases, and runs it.
# Usage: tools/fuzz/fuzz_parser.sh [SECONDS]   (default 60). Exits non-zero on a crash, leak or
# sanitizer report; the reproducer is left in $FUZZ_OUT (default /tmp/slipway-fuzz-parser).
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${FUZZ_OUT:-/tmp/slipway-fuzz-parser}"
mkdir -p "$out/corpus" "$out/artifacts"

cxx="${CXX_FUZZ:-clang++}"
command -v "$cxx" >/dev/null || { echo "fuzz_parser: $cxx not found (apt-get install clang)" >&2; exit 2; }

srcs=(
  "$root/tools/fuzz/fuzz_parser.cc"
  "$root/builder/dockerfile/parser.cc"
  "$root/builder/dockerfile/go_json.cc"
  "$root/builder/shell/lex.cc"
  "$root/builder/shell/unicode.cc"
  "$root/builder/instructions/canonical_text.cc"
  "$root/builder/instructions/convert.cc"
  "$root/builder/instructions/expand.cc"
  "$root/builder/instructions/loader.cc"
  "$root/builder/instructions/mount.cc"
  "$root/builder/instructions/parse_and_load.cc"
  "$root/builder/instructions/validate.cc"
  "$root/builder/instructions/values.cc"
  "$root/base/status_macros.cc"
  "$root/base/arena.cc"
  "$root/base/page_region.cc"
)
absl_libs=(-labsl_status -labsl_statusor -labsl_str_format_internal -labsl_strings
  -labsl_strings_internal -labsl_strerror -labsl_cord -labsl_cord_internal -labsl_cordz_functions
  -labsl_cordz_handle -labsl_cordz_info -labsl_synchronization -labsl_graphcycles_internal
  -labsl_time -labsl_time_zone -labsl_civil_time -labsl_hash -labsl_city -labsl_low_level_hash
  -labsl_raw_hash_set -labsl_int128 -labsl_throw_delegate -labsl_bad_optional_access
  -labsl_bad_variant_access -labsl_stacktrace -labsl_symbolize -labsl_debugging_internal
  -labsl_demangle_internal -labsl_malloc_internal -labsl_raw_logging_internal
  -labsl_log_severity -labsl_spinlock_wait -labsl_base -labsl_exponential_biased
  -labsl_hashtablez_sampler -lpthread)

bin="$out/fuzz_parser"
newest_src=$(ls -t "${srcs[@]}" "$0" | head -1)
if [[ ! -x "$bin" || "$newest_src" -nt "$bin" ]]; then
  echo "fuzz_parser: compiling with $cxx" >&2
  "$cxx" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root" "${srcs[@]}" "${absl_libs[@]}" -o "$bin"
fi

# Seed corpus: our test Dockerfiles and BuildKit's parser cases (read in place, copied only into
# the scratch corpus directory outside the repository).
conf="$root/../shared/conformance/buildkit-dockerfile/parser"
i=0
for f in "$root"/testdata/dockerfiles/*/Dockerfile "$conf"/testfiles/*/Dockerfile \
         "$conf"/testfiles-negative/*/Dockerfile "$conf"/testfile-line/Dockerfile; do
  [[ -f "$f" ]] || continue
  cp "$f" "$out/corpus/seed-$i"
  i=$((i + 1))
done

echo "fuzz_parser: running for ${seconds}s on $(ls "$out/corpus" | wc -l) corpus files" >&2
cd "$out"
ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus"
