#!/usr/bin/env bash
# Fuzzes the readers of user files with libFuzzer for SECONDS each (default 60):
#   decoders     CImage JPEG/PNG decoding (C++; ASan + UBSan), as Image.init(data:) drives it
#   pickle       the torch.save reader ct_load_pickle (C++ shim over libtorch; libtorch itself uninstrumented)
#   safetensors  SafeTensors.load (Swift)
#   csv          CSVTable.parse and its accessors (Swift, SwiftCSV)
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]. Needs `swift build` done (CTorch objects, .libtorch).
# Crashes are saved as fuzz/findings/TARGET/crash-*; corpora grow in .build/fuzz/corpus/TARGET; inputs that once
# crashed (kept in fuzz/regressions/TARGET/) seed every run.
# Not part of `make test`: a meaningful run takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decoders pickle safetensors csv)

B=.build/fuzz
TORCH=$PWD/.libtorch
mkdir -p "$B/mod" "$B/obj" fuzz/findings
[ -d .build/debug/CTorch.build ] || swift build --target CTorch

build_decoders() {
  clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I Sources/CImage/include -I /usr/include/opencv4 \
    fuzz/decoders.cpp Sources/CImage/codec.cpp Sources/CImage/cimage.cpp Sources/CImage/augment.cpp Sources/CImage/elastic.cpp \
    -lopencv_imgproc -lopencv_core -lturbojpeg -lpng -o "$B/decoders"
}

build_pickle() {
  clang++ -std=c++17 -O1 -g -fsanitize=fuzzer -D_GLIBCXX_USE_CXX11_ABI=1 -w \
    -I Sources/CTorch/include -I "$TORCH/include" -I "$TORCH/include/torch/csrc/api/include" \
    fuzz/pickle.cpp Sources/CTorch/ctorch_serialize.cpp Sources/CTorch/ctorch.cpp \
    -L "$TORCH/lib" -Wl,-rpath,"$TORCH/lib" -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -o "$B/pickle"
}

# The Swift readers are compiled here as small modules with coverage (-sanitize=fuzzer), against the CTorch
# objects of the normal debug build: Basics, SwiftCSV, FuzzCSV (CSVTable + DataError) and Torch.
build_swift() {
  local S="swiftc -sanitize=fuzzer -parse-as-library -Onone -g -wmo -I $B/mod"
  printf 'module CTorch {\n  umbrella "%s/Sources/CTorch/include"\n  export *\n}\n' "$PWD" > "$B/CTorch.modulemap"
  $S -swift-version 6 -module-name Basics Sources/Basics/*.swift -emit-module -emit-module-path "$B/mod/Basics.swiftmodule" \
    -c -o "$B/obj/Basics.o"
  $S -swift-version 5 -module-name SwiftCSV $(ls .build/checkouts/SwiftCSV/SwiftCSV/*.swift) \
    -emit-module -emit-module-path "$B/mod/SwiftCSV.swiftmodule" -c -o "$B/obj/SwiftCSV.o"
  $S -swift-version 6 -module-name FuzzCSV Sources/MelanomaKit/Files/CSVTable.swift Sources/MelanomaKit/Data/DataProblem.swift \
    -emit-module -emit-module-path "$B/mod/FuzzCSV.swiftmodule" -c -o "$B/obj/FuzzCSV.o"
  $S -swift-version 6 -module-name Torch -Xcc -fmodule-map-file="$B/CTorch.modulemap" Sources/Torch/*.swift \
    -emit-module -emit-module-path "$B/mod/Torch.swiftmodule" -c -o "$B/obj/Torch.o"
  swiftc -sanitize=fuzzer -parse-as-library -Onone -g -swift-version 6 -I "$B/mod" \
    -Xcc -fmodule-map-file="$B/CTorch.modulemap" fuzz/readers.swift "$B"/obj/*.o .build/debug/CTorch.build/*.o \
    -L "$TORCH/lib" -Xlinker -rpath -Xlinker "$TORCH/lib" -Xlinker --no-as-needed -ltorch -ltorch_cpu -lc10 -lstdc++ \
    -o "$B/readers"
}

seed_corpus() {
  local t=$1 c=$B/corpus/$1
  mkdir -p "$c"
  [ -n "$(ls -A "$c")" ] && return
  case $t in
    decoders) python3 - "$c" <<'PY'
import sys, zlib, struct
d = sys.argv[1]
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
raw = b"".join(b"\0" + bytes([x * 40 % 256 for x in range(12)]) for _ in range(4))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(d + "/tiny.png", "wb").write(png)
tiff = b"II" + struct.pack("<HI", 42, 8) + struct.pack("<HHHIHH", 1, 0x0112, 3, 1, 8, 0) + struct.pack("<I", 0)
open(d + "/exif8.png", "wb").write(png[:33] + chunk(b"eXIf", tiff) + png[33:])
PY
      # Small JPEGs (colour, gray, with an EXIF orientation), when the test venv has cv2.
      .venv/bin/python - "$c" <<'PY' 2>/dev/null || true
import sys, struct, numpy as np, cv2
d = sys.argv[1]
img = (np.arange(16 * 24 * 3) % 251).astype(np.uint8).reshape(16, 24, 3)
jpg = cv2.imencode(".jpg", img)[1].tobytes()
open(d + "/colour.jpg", "wb").write(jpg)
open(d + "/gray.jpg", "wb").write(cv2.imencode(".jpg", img[:, :, 0])[1].tobytes())
tiff = b"MM" + struct.pack(">HI", 42, 8) + struct.pack(">HHHIHH", 1, 0x0112, 3, 1, 6, 0) + struct.pack(">I", 0)
app1 = b"\xff\xe1" + struct.pack(">H", len(tiff) + 8) + b"Exif\0\0" + tiff
open(d + "/exif6.jpg", "wb").write(jpg[:2] + app1 + jpg[2:])
PY
      ;;
    safetensors) python3 - "$c" <<'PY'
import sys, struct, json
h = json.dumps({"__metadata__": {"format": "pt"}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "I64", "shape": [1, 1], "data_offsets": [8, 16]}}).encode()
open(sys.argv[1] + "/a.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + struct.pack("<ffq", 1, 2, 3))
open(sys.argv[1] + "/b.header", "wb").write(h + b"\0" + struct.pack("<ffq", 1, 2, 3))  # see fuzz/readers.swift
PY
      ;;
    csv) printf 'image_name,patient_id,age_approx,target\nISIC_1,IP_1,45.0,0\n"ISIC_2","IP,2",,1\n' > "$c/a.csv" ;;
    pickle) .venv/bin/python -c "import torch,collections; torch.save(collections.OrderedDict(w=torch.ones(2,2)), '$c/a.pth')" 2>/dev/null || true ;;
  esac
}

run() {
  local t=$1 bin=$2
  seed_corpus "$t"
  mkdir -p "fuzz/findings/$t"
  echo "== $t: ${SECONDS_EACH}s"
  local log=$B/$t.log
  set +e
  local dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  local extra=()
  [ -d "fuzz/regressions/$t" ] && extra=("fuzz/regressions/$t")  # past findings, read-only seeds
  # SWIFT_BACKTRACE off: the Swift runtime's crash handler would otherwise end the process before libFuzzer
  # saves the crashing input.
  SWIFT_BACKTRACE=enable=no MELANOMA_FUZZ_TARGET=$t "$bin" "${dict[@]}" -max_total_time="$SECONDS_EACH" \
    -rss_limit_mb=4096 -max_len=65536 -timeout=20 -artifact_prefix="fuzz/findings/$t/" -print_final_stats=1 \
    "$B/corpus/$t" "${extra[@]}" >"$log" 2>&1
  local rc=$?
  set -e
  grep -E "^stat::number_of_executed_units|^#[0-9]+ *DONE|cov:" "$log" | tail -2
  if [ $rc -ne 0 ]; then echo "!! $t: exit $rc, see $log and fuzz/findings/$t/"; FAILED=1; fi
}

FAILED=0
for t in "${TARGETS[@]}"; do
  case $t in
    decoders) build_decoders >"$B/build-decoders.log" 2>&1 && run decoders "$B/decoders" ;;
    pickle) build_pickle >"$B/build-pickle.log" 2>&1 && run pickle "$B/pickle" ;;
    safetensors|csv) [ -n "${SWIFT_BUILT:-}" ] || { build_swift >"$B/build-swift.log" 2>&1 || { cat "$B/build-swift.log"; exit 1; }; SWIFT_BUILT=1; }; run "$t" "$B/readers" ;;
    *) echo "unknown target $t"; exit 2 ;;
  esac
done
exit $FAILED
