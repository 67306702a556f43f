#!/bin/bash -eu
# ClusterFuzzLite build: every fuzz target of fuzz/Cargo.toml, optimised, into $OUT, each with its
# dictionary and its committed seed corpus (docs/fuzzing.md).
cd "$SRC/ovm"

cargo fuzz build -O

TARGETS="differential transpile fixture isolation"
release=fuzz/target/x86_64-unknown-linux-gnu/release
for target in $TARGETS; do
  cp "$release/$target" "$OUT/"
  case "$target" in
    fixture) dict=fuzz/dicts/json.dict ;;
    *) dict=fuzz/dicts/evm.dict ;;
  esac
  cp "$dict" "$OUT/$target.dict"
  if [ -d "fuzz/corpus/$target" ]; then
    (cd "fuzz/corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  fi
done
