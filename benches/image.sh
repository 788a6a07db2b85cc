#!/usr/bin/env bash
# Benchmark (not a test): `nhiscan image` on a ~1 GB docker-save tarball against `nhiscan scan` on the
# same files unpacked; prints wall time and peak RSS of both. Layers: the tree's drivers/ as a plain
# tar, arch/ Documentation/ tools/ include/ as tar.gz, the rest as tar.zst.
#   benches/image.sh [SOURCE_TREE] [WORK_DIR]
set -euo pipefail
SRC=${1:-/var/tmp/nhiscan-bench/linux-6.1}
WORK=${2:-/var/tmp/nhiscan-image-bench}
BIN=${NHISCAN:-$(cd "$(dirname "$0")/.." && pwd)/target/release/nhiscan}
mkdir -p "$WORK"
if [ ! -f "$WORK/image.tar" ]; then
  (cd "$SRC" && tar cf "$WORK/l1.tar" drivers \
    && tar cf - arch Documentation tools include | gzip -1 > "$WORK/l2.tar.gz" \
    && tar cf - --exclude=./drivers --exclude=./arch --exclude=./Documentation --exclude=./tools --exclude=./include . \
       | zstd -3 -q > "$WORK/l3.tar.zst")
  python3 - "$WORK" <<'PY'
import hashlib, io, json, sys, tarfile
w = sys.argv[1]
def sha(p):
    h = hashlib.sha256()
    with open(p, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''):
            h.update(b)
    return h.hexdigest()
layers = [f'{w}/l1.tar', f'{w}/l2.tar.gz', f'{w}/l3.tar.zst']
digests = [sha(l) for l in layers]
cfg = json.dumps({"os": "linux", "architecture": "amd64", "config": {"Env": ["PATH=/usr/bin"]},
                  "history": [{"created_by": f"COPY part{i} /src/"} for i in range(3)]}).encode()
cd = hashlib.sha256(cfg).hexdigest()
with tarfile.open(f'{w}/image.tar', 'w', format=tarfile.GNU_FORMAT) as t:
    for l, d in zip(layers, digests):
        t.add(l, arcname=f'blobs/sha256/{d}')
    for name, data in [(f'blobs/sha256/{cd}', cfg),
                       ('manifest.json', json.dumps([{"Config": f'blobs/sha256/{cd}',
                                                      "Layers": [f'blobs/sha256/{d}' for d in digests]}]).encode())]:
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
PY
fi
ls -l "$WORK/image.tar"
cat "$WORK/image.tar" > /dev/null; tar cf - -C "$SRC" . > /dev/null   # warm the page cache
for i in 1 2 3; do
  /usr/bin/time -f "scan  (unpacked): %e s wall, %M KB peak RSS" "$BIN" scan "$SRC" --no-ignore -q -o /dev/null || true   # exit 1: the tree has a finding
  /usr/bin/time -f "image (tarball):  %e s wall, %M KB peak RSS" "$BIN" image "$WORK/image.tar" -q -o /dev/null || true
done
