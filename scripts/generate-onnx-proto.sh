#!/usr/bin/env bash
# Regenerates Sources/ONNXProto/onnx.pb.swift from ONNX's schema. Run by hand when the schema or swift-protobuf
# changes; the generated file is committed, so neither a build nor CI needs protoc or the plugin.
#
#   onnx.proto  from the `onnx` wheel on PyPI (ONNX_VERSION below; the wheel ships onnx/onnx.proto)
#   protoc      Debian's protobuf-compiler (apt-get install protobuf-compiler)
#   plugin      protoc-gen-swift of apple/swift-protobuf SWIFT_PROTOBUF_VERSION (the version Package.swift
#               depends on), built in a scratch package (a release build takes about 10 minutes)
#
# Usage: scripts/generate-onnx-proto.sh [path/to/protoc-gen-swift]
set -euo pipefail
ONNX_VERSION=1.23.2
SWIFT_PROTOBUF_VERSION=1.39.0
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${ONNX_PROTO_WORK:-$root/.build/onnx-proto}"
mkdir -p "$work"

command -v protoc >/dev/null || { echo "protoc is missing: apt-get install protobuf-compiler" >&2; exit 2; }

plugin="${1:-}"
if [ -z "$plugin" ]; then
  mkdir -p "$work/plugin"
  cat > "$work/plugin/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(name: "Plugin", dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf", exact: "$SWIFT_PROTOBUF_VERSION"),
], targets: [])
SWIFT
  (cd "$work/plugin" && swift build -c release --product protoc-gen-swift >&2)
  plugin="$work/plugin/.build/release/protoc-gen-swift"
fi

python3 -m pip download --quiet --no-deps --only-binary=:all: "onnx==$ONNX_VERSION" -d "$work/wheel" >&2
wheel="$(ls "$work"/wheel/onnx-"$ONNX_VERSION"-*.whl | head -1)"
rm -rf "$work/proto" && mkdir -p "$work/proto"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("onnx/onnx.proto", sys.argv[2])' "$wheel" "$work/proto"

protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$work/proto/onnx" \
  --swift_opt=Visibility=Public --swift_out="$root/Sources/ONNXProto" onnx.proto
echo "wrote Sources/ONNXProto/onnx.pb.swift from onnx $ONNX_VERSION's onnx.proto (sha256 $(sha256sum "$work/proto/onnx/onnx.proto" | cut -c1-16)…), $(protoc --version), $("$plugin" --version 2>&1 | head -1)" >&2
