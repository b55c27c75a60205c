#!/usr/bin/env bash
# `make dist`: a relocatable release of bitsweep for cluster nodes and containers.
#
#   dist/bitsweep-VERSION-linux-ARCH.tar.gz
#     bitsweep-VERSION-linux-ARCH/bin/bitsweep      the Swift runtime and Foundation linked in (--static-swift-stdlib)
#     bitsweep-VERSION-linux-ARCH/Inputs/           the default sweep spec, images, models, budgets, template
#     bitsweep-VERSION-linux-ARCH/RUNTIME-PACKAGES  the Debian packages a node needs, one per line
#     bitsweep-VERSION-linux-ARCH/README.txt        how to install and run it
#
# The runtime package list is derived, not typed: every shared library the binary needs (its ELF NEEDED
# entries) is mapped to the Debian package that ships it (dpkg -S), plus fonts-dejavu-core, which Cairo needs
# to draw text. The script then proves the tarball is relocatable: no Swift library among `ldd`'s answers,
# and the binary, unpacked into a folder outside the tree, runs `calc` and a small sweep with
# LD_LIBRARY_PATH unset and the Swift toolchain hidden (/opt/swift or wherever `swift` lives is covered by
# an empty folder in a private mount namespace, when `unshare` is allowed; otherwise with it merely absent
# from every loader path).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
OUT=${DIST_DIR:-dist}

$SWIFT build -c release --static-swift-stdlib --product bitsweep
bin="$($SWIFT build -c release --static-swift-stdlib --show-bin-path)/bitsweep"
version=$("$bin" --version)
arch=$(uname -m)
name="bitsweep-${version}-linux-${arch}"
stage="$OUT/$name"
rm -rf "$stage" "$OUT/$name.tar.gz"
mkdir -p "$stage/bin"
install -m 0755 "$bin" "$stage/bin/bitsweep"
strip --strip-debug "$stage/bin/bitsweep" 2>/dev/null || true
cp -r Inputs "$stage/Inputs"

# Nothing of the Swift runtime may be loaded dynamically.
if ldd "$stage/bin/bitsweep" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift'; then
  echo "dist: the binary still loads the Swift runtime dynamically (above)" >&2
  exit 1
fi

# Debian packages for the libraries the binary names (NEEDED), resolved through the loader's paths.
packages=()
while read -r lib; do
  # "libx.so.1 => /path (0x…)", or for the dynamic loader itself "/lib64/ld-linux-x86-64.so.2 (0x…)".
  path=$(ldd "$stage/bin/bitsweep" | awk -v l="$lib" '$1 == l { print $3 } $1 ~ ("/" l "$") { print $1 }' | head -n1)
  [ -n "$path" ] || { echo "dist: $lib is not found by the loader" >&2; exit 1; }
  real=$(readlink -f "$path")
  pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null || dpkg -S "${path/#\/usr\/lib/\/lib}" 2>/dev/null || true)
  pkg=${pkg%%:*}
  [ -n "$pkg" ] || { echo "dist: no Debian package ships $path" >&2; exit 1; }
  packages+=("$pkg")
done < <(readelf -d "$stage/bin/bitsweep" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
packages+=(fonts-dejavu-core)   # Cairo draws chart and PDF text with DejaVu
printf '%s\n' "${packages[@]}" | sort -u > "$stage/RUNTIME-PACKAGES"

cat > "$stage/README.txt" <<EOF
bitsweep $version for Linux $arch (Debian 12 "bookworm" or a system with the same library versions).

The Swift runtime is linked in. A node needs these Debian packages (RUNTIME-PACKAGES):
  apt-get install --no-install-recommends $(tr '\n' ' ' < "$stage/RUNTIME-PACKAGES")

Run it from this folder (specs name their images relative to themselves):
  bin/bitsweep calc
  bin/bitsweep sweep Inputs/sweep.yaml --out /tmp/default
Cluster recipes (Slurm array, Kubernetes Indexed Job, Containerfile): the repository's README, "Beyond one
machine".
EOF

tar -C "$OUT" -czf "$OUT/$name.tar.gz" "$name"
(cd "$OUT" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")

# Prove it: unpack elsewhere, run with the loader's defaults only and the toolchain out of sight.
check=$(mktemp -d /tmp/bitsweep-dist-check.XXXXXX)
trap 'rm -rf "$check"' EXIT
tar -C "$check" -xzf "$OUT/$name.tar.gz"
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v "$SWIFT")")")")")   # /opt/swift for /opt/swift/usr/bin/swift
run_check='cd "$1" && bin/bitsweep calc --blocks 3 --size 16 >/dev/null &&
  bin/bitsweep sweep Inputs/sweep.yaml --set sizes=[16] --set blocks=[2] --set precisions=[8] --set act_bits=[32] \
    --set conventions=[weight] --set exclude=[] --set include=[] --out "$2" --jobs 1 >/dev/null 2>&1 &&
  test -s "$2/results.json" && test -s "$2/report.pdf"'
if unshare -m true 2>/dev/null && [ -d "$toolchain" ] && [ "$toolchain" != "/" ]; then
  env -u LD_LIBRARY_PATH unshare -m bash -c "mount -t tmpfs none '$toolchain' && ! test -e '$toolchain/usr/bin/swift' && $run_check" \
    _ "$check/$name" "$check/out"
  hidden="hidden under an empty mount"
else
  env -u LD_LIBRARY_PATH bash -c "$run_check" _ "$check/$name" "$check/out"
  hidden="not hidden (no mount namespace here), but on no loader path"
fi
echo "dist: $OUT/$name.tar.gz ($(du -h "$OUT/$name.tar.gz" | cut -f1)); runs from $check with LD_LIBRARY_PATH unset, toolchain $toolchain $hidden"
echo "dist: runtime packages: $(tr '\n' ' ' < "$stage/RUNTIME-PACKAGES")"
