#!/bin/sh
# Compiler launcher for fastgd_dispatch (CMakeLists.txt): compiles, then, for an object
# built with instruction-set flags (-mavx*), makes every symbol it defines private
# except the dispatcher's entry points (fastgd::kernels_<arch>(),
# fastgd::sgd_rows_kernels_<arch>()).
#
# Why: such an object also emits weak (COMDAT) copies of the inline functions and
# template instantiations it uses from shared headers and the standard library
# (std::vector<double>::_M_realloc_insert, ...), compiled with AVX. The linker keeps one
# copy of each for the whole module, whichever it meets first, so baseline code could
# call an AVX copy and die with SIGILL on a CPU without AVX. With the COMDAT groups
# dissolved and the symbols local, each instruction-set object keeps its own copies and
# can neither replace nor be replaced by another object's.
#
# Usage (CXX_COMPILER_LAUNCHER): private_arch_object.sh OBJCOPY READELF <compiler command...>
set -eu
objcopy=$1 readelf=$2
shift 2
"$@"
out= isa= prev=
for a in "$@"; do
  [ "$prev" = -o ] && out=$a
  case $a in -mavx*) isa=1 ;; esac
  prev=$a
done
[ -n "$isa" ] && [ -n "$out" ] || exit 0

# A weak or unique data symbol from a shared header (an inline function's static, an
# inline variable) would be forked into one private copy per object: refuse it.
shared_data=$("$readelf" -sW "$out" | awk '($4 == "OBJECT" || $4 == "TLS") && ($5 == "WEAK" || $5 == "UNIQUE") && $7 != "UND" && $8 !~ /arch_/ && $8 !~ /^DW\.ref\./ {print $8}')
if [ -n "$shared_data" ]; then
  echo "private_arch_object.sh: $out defines shared data that making it private would fork:" >&2
  echo "$shared_data" >&2
  rm -f "$out"
  exit 1
fi

"$objcopy" --remove-section=.group --wildcard \
  --keep-global-symbol='_ZN6fastgd[0-9][0-9]kernels_*Ev' \
  --keep-global-symbol='_ZN6fastgd[0-9][0-9]sgd_rows_kernels_*Ev' "$out" "$out.private"
mv -f "$out.private" "$out"

# Check the result: no COMDAT group left, only entry points global.
if "$readelf" -gW "$out" | grep -q 'COMDAT group'; then
  echo "private_arch_object.sh: $out still has COMDAT groups" >&2; rm -f "$out"; exit 1
fi
left=$("$readelf" -sW "$out" | awk '($5 == "GLOBAL" || $5 == "WEAK" || $5 == "UNIQUE") && $7 != "UND" {print $8}' \
       | grep -v -E '^_ZN6fastgd[0-9][0-9](sgd_rows_)?kernels_[a-z0-9_]+Ev$' || true)
if [ -n "$left" ]; then
  echo "private_arch_object.sh: $out still exports:" >&2; echo "$left" >&2; rm -f "$out"; exit 1
fi
