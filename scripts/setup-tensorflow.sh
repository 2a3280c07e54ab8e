#!/usr/bin/env bash
# Makes the `tensorflow` tensor backend work on a machine that cannot reach tfjs-node's download
# hosts: libtensorflow (library and C headers) comes from PyPI's tensorflow-cpu wheel, and
# tfjs-node's native addon is built from its own sources with node-gyp against it.
#   npm run setup:tensorflow   (in npm test's pretest; or: bash scripts/setup-tensorflow.sh)
# Idempotent: returns at once when the addon it built is there and loads. Where tfjs-node
# already loads by its own install (a machine with normal network access), it leaves it alone.
# Linux x86_64 only (the wheel's platform). Needs python3 with pip, g++ and make (installed
# from Debian when missing, as root or through sudo) and Node's headers beside the node binary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The wheel is pinned by version, platform and SHA-256; its libraries do not depend on the
# Python version (the cp311 tag only names which wheel file we take).
tf_version="2.21.0"
wheel="tensorflow_cpu-${tf_version}-cp311-cp311-manylinux_2_27_x86_64.whl"
wheel_sha256="2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c"

fail() {
  echo "setup-tensorflow: $*" >&2
  exit 1
}

[[ "$(uname -s) $(uname -m)" == "Linux x86_64" ]] ||
  fail "only Linux x86_64 is supported (this is $(uname -s) $(uname -m)); use --backend cpu or wasm"

tfjs_node_version="$(node -p "require('$root/package.json').optionalDependencies['@tensorflow/tfjs-node']")"
pkg="$root/node_modules/@tensorflow/tfjs-node"
stamp="$pkg/deps/tvm-trace-setup"
want="tensorflow-cpu $tf_version $wheel_sha256, tfjs-node $tfjs_node_version"

# Loads tfjs-node in a fresh process and checks TensorFlow's int32 matMul on the case float32
# gets wrong; prints libtensorflow's version.
probe() {
  (cd "$root" && TF_CPP_MIN_LOG_LEVEL=2 TF_ENABLE_ONEDNN_OPTS=0 node -e "
    const tf = require('@tensorflow/tfjs-node');
    const square = tf.matMul(tf.tensor2d([32767], [1, 1], 'int32'), tf.tensor2d([32767], [1, 1], 'int32'));
    const product = square.dataSync()[0];
    if (product !== 1073676289) throw new Error('int32 matMul gave ' + product + ' for 32767*32767');
    console.log(tf.backend().binding.TF_Version);
  " 2>/dev/null)
}

# 1. tfjs-node's files. npm ci drops the optional dependency when its install script (which
# downloads libtensorflow) fails; the lockfile still pins it and its dependencies.
if [[ "$(node -p "try { require('$pkg/package.json').version } catch { '' }")" != "$tfjs_node_version" ]]; then
  (cd "$root" && npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error \
    "@tensorflow/tfjs-node@$tfjs_node_version")
fi

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && version="$(probe)"; then
  echo "tensorflow: libtensorflow $version (tensorflow-cpu wheel), tfjs-node $tfjs_node_version"
  exit 0
fi
if [[ ! -f "$stamp" ]] && version="$(probe)"; then
  echo "tensorflow: libtensorflow $version from tfjs-node's own install, left as it is"
  exit 0
fi

# 2. Build tools. node-gyp is npm's own (npm run puts it on PATH); Node's headers must be
# installed beside node, else node-gyp would try to download them.
node_gyp="${npm_config_node_gyp:-$(command -v node-gyp || true)}"
[[ -n "$node_gyp" ]] || fail "node-gyp not found: run this through npm (npm run setup:tensorflow)"
nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
[[ -f "$nodedir/include/node/node_api.h" ]] ||
  fail "Node's headers are not in $nodedir/include/node (node-gyp would download them)"
if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
  sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null || fail "g++ and make are missing and this is not root: apt-get install -y g++ make"
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends g++ make >/dev/null
fi

# 3. libtensorflow from the wheel (pip's cache keeps it for the next machine start).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-input --no-deps \
  --only-binary=:all: --platform manylinux_2_27_x86_64 --python-version 3.11 \
  --implementation cp --abi cp311 -d "$work" "tensorflow-cpu==$tf_version" ||
  fail "could not download tensorflow-cpu==$tf_version from PyPI"
[[ -f "$work/$wheel" ]] || fail "pip did not fetch $wheel"
got="$(sha256sum "$work/$wheel" | cut -d' ' -f1)"
[[ "$got" == "$wheel_sha256" ]] || fail "$wheel has SHA-256 $got, expected $wheel_sha256"

# deps/lib holds the libraries under their own names (their SONAMEs, which the addon records)
# and the link names binding.gyp asks for (-ltensorflow -ltensorflow_framework); deps/include
# is needed only to build.
rm -rf "$pkg/deps" "$pkg/lib" "$pkg/build"
python3 - "$work/$wheel" "$pkg/deps" <<'PY'
import os, sys, zipfile
wheel, deps = sys.argv[1], sys.argv[2]
libraries = {"tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"}
with zipfile.ZipFile(wheel) as archive:
    for entry in archive.infolist():
        name = entry.filename
        if name in libraries:
            target = os.path.join(deps, "lib", os.path.basename(name))
        elif name.startswith("tensorflow/include/") and not name.endswith("/"):
            target = os.path.join(deps, "include", name[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.open(entry) as source, open(target, "wb") as sink:
            while chunk := source.read(1 << 20):
                sink.write(chunk)
PY
ln -s libtensorflow_cc.so.2 "$pkg/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$pkg/deps/lib/libtensorflow_framework.so"

# 4. The addon, where tfjs-node looks for it (node-pre-gyp's lib/napi-vN for this Node).
binding="$(cd "$pkg" && node -p "require('@mapbox/node-pre-gyp').find(require.resolve('./package.json'))")"
napi="$(basename "$(dirname "$binding")")"
(cd "$pkg" && node "$node_gyp" rebuild --loglevel=error --nodedir="$nodedir" \
  --module_name=tfjs_binding --module_path="$(dirname "$binding")" \
  --napi_build_version="${napi#napi-v}" >"$work/build.log" 2>&1) ||
  { tail -n 20 "$work/build.log" >&2; fail "node-gyp could not build tfjs-node's addon (log above)"; }
[[ -f "$binding" ]] || fail "node-gyp built no $binding"
rm -rf "$pkg/deps/include" "$pkg/build"

version="$(probe)" || fail "the addon was built but tfjs-node does not load or its int32 matMul is wrong"
echo "$want" >"$stamp"
echo "tensorflow: libtensorflow $version (tensorflow-cpu wheel), tfjs-node $tfjs_node_version addon built"
