#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang-14 (AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for FUZZ_SECONDS (default 15)
# from its seed corpus in fuzz/corpus/<target>. New inputs go to
# build/fuzz/corpus/<target> (the tree's seeds are not modified); a crash
# fails the run and its input is kept in build/fuzz/artifacts/.
# Needs the main build first (for the embedded schema sources).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
out="$build/fuzz"
seconds="${FUZZ_SECONDS:-15}"
mkdir -p "$out/artifacts"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1  # cache hits across clones (scripts/build.sh)
cxx=(clang++-14)
command -v ccache >/dev/null && cxx=(ccache clang++-14)
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root" -I"$build/proto")
libs=$(pkg-config --libs absl_strings absl_str_format absl_time absl_flat_hash_map absl_flat_hash_set \
       absl_status absl_statusor absl_cord libzip expat libcrypto re2 libutf8proc yaml-cpp protobuf libpng libjpeg \
       libtiff-4)
text_srcs=("$root"/common/text/utf8.cc "$root"/common/text/json_depth.cc)
validator_srcs=("${text_srcs[@]}" "$root"/validators/miappe/{report,tsv,xlsx,miappe_json,ontology,schema,loader,formats,validator,locations,sheet_layout}.cc
                "$root"/validators/miappe/isatab_{map,parse,reader,tables,writer}.cc "$root"/validators/miappe/data_file_check.cc
                "$build"/validators/miappe/{fields,sections,iso3166,isatab}_data.cc)

# Every source is compiled once into $out/obj (through ccache when present)
# and the targets are linked from those objects, so the validator's sources
# are not rebuilt once per target.
compile() {  # source -> prints its object
  local src=$1 obj
  obj="$out/obj/$(echo "$src" | sed "s|^$root/||; s|^$build/|build/|; s|/|_|g").o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$root/validators" "$root/registry/core" "$root/common" "$root/fuzz" -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
    "${cxx[@]}" "${flags[@]}" -c "$src" -o "$obj"
  fi
  echo "$obj"
}

build_target() {  # name, sources...
  local name=$1; shift
  local objs=()
  mkdir -p "$out/obj"
  for src in "$root/fuzz/$name.cc" "$@"; do objs+=("$(compile "$src")"); done
  if [ ! -x "$out/$name" ] || [ -n "$(find "${objs[@]}" -newer "$out/$name" 2>/dev/null)" ]; then
    echo "fuzz: linking $name"
    clang++-14 "${flags[@]}" "${objs[@]}" -o "$out/$name" $libs
  fi
}

# The core types the server parses from requests (generated protos are
# compiled with clang too).
core_srcs=("${text_srcs[@]}" "$root"/common/content/{digest,sha256,tree,tree_names}.cc "$root"/common/status/errors.cc "$root"/common/query/filter.cc "$root"/registry/core/page_token.cc
           "$build"/proto/google/rpc/{status,error_details,code}.pb.cc "$build"/proto/fairtrace/v1/common.pb.cc)

build_target miappe_tsv_fuzz "${text_srcs[@]}" "$root/validators/miappe/tsv.cc" "$root/validators/miappe/report.cc"
build_target miappe_xlsx_fuzz "${validator_srcs[@]}"
build_target miappe_validator_fuzz "${validator_srcs[@]}"
build_target miappe_isatab_fuzz "${validator_srcs[@]}"
build_target mlmodel_fuzz "${text_srcs[@]}" "$root/validators/mlmodel/mlmodel_validator.cc" \
  "$build/validators/mlmodel/rules_data.cc"
build_target item_table_fuzz "${text_srcs[@]}" "$root/registry/datasets/item_table.cc" \
  "$root/validators/miappe/tsv.cc" "$root/validators/miappe/report.cc"
build_target annotation_formats_fuzz "${text_srcs[@]}" "$root"/registry/annotations/{annotation_formats,image_io}.cc \
  "$root/validators/miappe/tsv.cc" "$root/validators/miappe/report.cc"
build_target tree_manifest_fuzz "${core_srcs[@]}"
build_target filter_fuzz "${core_srcs[@]}"
build_target names_tokens_fuzz "${core_srcs[@]}"

targets=(${FUZZ_TARGETS:-miappe_tsv_fuzz miappe_xlsx_fuzz miappe_validator_fuzz miappe_isatab_fuzz mlmodel_fuzz
         item_table_fuzz annotation_formats_fuzz tree_manifest_fuzz filter_fuzz names_tokens_fuzz})
status=0
for target in "${targets[@]}"; do
  mkdir -p "$out/corpus/$target"
  dict=()
  [ -f "$root/fuzz/dict/$target.dict" ] && dict=(-dict="$root/fuzz/dict/$target.dict")
  # Extra read-only seeds: the official MIAPPE templates beside the clone.
  extra=()
  [ "$target" = miappe_xlsx_fuzz ] && [ -d "$root/../shared/miappe-examples/templates" ] &&
    extra=("$root/../shared/miappe-examples/templates")
  echo "fuzz: running $target for ${seconds}s"
  # Inputs up to 1 MiB: the crashes of issue 8 needed 30 KB values.
  if ! "$out/$target" -max_total_time="$seconds" -max_len=1048576 -timeout=20 -rss_limit_mb=2048 "${dict[@]}" \
      -artifact_prefix="$out/artifacts/$target-" -print_final_stats=1 \
      "$out/corpus/$target" "$root/fuzz/corpus/$target" "${extra[@]}" 2> "$out/$target.log"; then
    echo "fuzz: $target FAILED; see $out/$target.log and $out/artifacts/" >&2
    tail -30 "$out/$target.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$out/$target.log" | sed "s/^/fuzz: $target /"
  fi
done
exit $status
