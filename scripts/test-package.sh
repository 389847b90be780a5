#!/usr/bin/env bash
# Installs the packed tarball the way a user does, in fresh projects outside the repository
# (their own package.json, no access to the repository's node_modules; npm's cache is reused):
#   A. a matching prebuilt addon and NO compiler, cmake or make on PATH: the install picks the
#      prebuilt binary; every public namespace imports; tsc type-checks a script against the
#      installed .d.ts without @types/node; README's quickstart script trains; the `torchtrain`
#      bin runs `info` and `doctor`;
#   B. no prebuilt binary for the libtorch found: without build tools the install fails saying
#      what to install; with them it says why and builds from source, then trains.
# libtorch comes from the cached PyPI environment (./.venv, made by scripts/setup.sh --pypi),
# linked as each project's own .venv. Prebuilt binaries are made from build/ (and build-system/
# when Debian's libtorch-dev is installed): incremental, seconds when those are up to date.
#   bash scripts/test-package.sh            (npm run test:package; CI runs it after the suites)
#   KEEP=1 bash scripts/test-package.sh     keep the temporary projects for a look
#   PREBUILD_DIR_PYPI=dir PREBUILD_DIR_SYSTEM=dir   build folders for the prebuilt binaries
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/torchtrain-package-XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
started=$(date +%s)
step() { printf '\n\033[1m==> [test-package %ss] %s\033[0m\n' "$(( $(date +%s) - started ))" "$*"; }
fail() { echo "test-package: FAILED: $*" >&2; exit 1; }
version_of() { node -p "require('$repo/node_modules/$1/package.json').version"; }

[ -x .venv/bin/python ] || fail "no ./.venv with PyTorch (run: bash scripts/setup.sh --pypi)"
venv=$(readlink -f .venv)

step "prebuilt binaries (npm run prebuilds)"
rm -rf prebuilds
pypi_build=${PREBUILD_DIR_PYPI:-build}
system_build=${PREBUILD_DIR_SYSTEM:-build-system}
node scripts/prebuild.mjs --target python --build-dir "$pypi_build"
if [ -f "$system_build/Release/torchtrain.node" ] && ls /usr/lib/*/cmake/Torch/TorchConfig.cmake >/dev/null 2>&1; then
  node scripts/prebuild.mjs --target system --build-dir "$system_build"
fi
ls prebuilds/linux-x64

step "npm pack (prepack builds dist/)"
npm pack --loglevel warn --pack-destination "$work" >/dev/null
tarball=$(ls "$work"/torchtrain-*.tgz)
listing=$(tar tzf "$tarball")
for f in package/dist/index.js package/dist/index.d.ts package/dist/cli/main.js package/dist/cli/doctor.js \
         package/CMakeLists.txt package/native/addon.cpp package/scripts/install.mjs package/scripts/find-libtorch.mjs; do
  grep -qx "$f" <<<"$listing" || fail "$f is not in the tarball"
done
grep -q '^package/prebuilds/linux-x64/.*/torchtrain.node$' <<<"$listing" || fail "no prebuilt binary in the tarball"
if grep -E '^package/(test|bench|examples|lib|\.ci|build|build-system|node_modules)/' <<<"$listing" | head -3 | grep -q .; then
  fail "the tarball holds repository files it should not (tests, sources, build output)"
fi
head -1 <(tar xzf "$tarball" -O package/dist/cli/main.js) | grep -q '^#!/usr/bin/env node' || fail "dist/cli/main.js has no #! line"
echo "$(wc -l <<<"$listing") files, $(du -h "$tarball" | cut -f1)"

# A PATH with everything but the build tools.
nocc="$work/nocc-bin"
mkdir -p "$nocc"
for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  [ -d "$dir" ] || continue
  for exe in "$dir"/*; do
    name=$(basename "$exe")
    case "$name" in
      cc|c++|cpp|gcc*|g++*|clang*|cmake*|ctest|cpack|make|gmake|ninja|*-linux-gnu-*) continue ;;
    esac
    [ -e "$nocc/$name" ] || ln -s "$exe" "$nocc/$name"
  done
done
PATH="$nocc" command -v g++ >/dev/null && fail "the no-compiler PATH still has g++"

new_project() {
  mkdir -p "$1"
  printf '{ "name": "%s", "version": "1.0.0", "private": true, "type": "module" }\n' "$(basename "$1")" >"$1/package.json"
  ln -s "$venv" "$1/.venv"
}
# --foreground-scripts: npm shows an install script's output only on failure otherwise.
npm_install() { npm install --no-audit --no-fund --prefer-offline --foreground-scripts "$@"; }

step "A. a fresh project, a matching prebuilt binary, no compiler on PATH"
app="$work/app"
new_project "$app"
cd "$app"
PATH="$nocc" npm_install "$tarball" "typescript@$(version_of typescript)" "tsx@$(version_of tsx)" 2>&1 | tee "$work/install-a.log"
grep -q 'using the prebuilt addon' "$work/install-a.log" || fail "the install did not pick the prebuilt binary"
[ ! -e node_modules/@types/node ] || fail "@types/node got installed: the .d.ts check below would prove nothing"
[ ! -e node_modules/torchtrain/build/Release ] || fail "the install compiled the addon instead of using the prebuilt one"

step "A. every public namespace imports"
PATH="$nocc" node --input-type=module -e "
  const m = await import('torchtrain');
  const wanted = ['torch', 'nn', 'optim', 'amp', 'jit', 'io', 'models', 'data', 'engine', 'Trainer', 'TaskSpec', 'TaskSpecs', 'losses', 'checkpoint', 'loggers', 'metrics', 'task', 'config', 'bundle'];
  const missing = wanted.filter((n) => m[n] === undefined);
  if (missing.length) { console.error('missing exports:', missing); process.exit(1); }
  const info = m.torch.info();
  if (!info.addon.includes('/prebuilds/')) { console.error('not the prebuilt addon:', info.addon); process.exit(1); }
  console.log('exports:', Object.keys(m).sort().join(' '));
  console.log('addon:', info.addon, '| libtorch', info.libtorchVersion);
"

step "A. README's quickstart script: type-checked without @types/node, then trained"
# The exact script of README.md's first screen: the ```ts block after <!-- quickstart-script -->.
awk '/<!-- quickstart-script/{on=1; next} on && /^```ts/{inside=1; next} inside && /^```/{exit} inside' "$repo/README.md" >train.ts
[ -s train.ts ] || fail "README.md has no \`\`\`ts block after <!-- quickstart-script -->"
cat >tsconfig.json <<'EOF'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
                       "noEmit": true, "skipLibCheck": false, "types": [] }, "include": ["*.ts"] }
EOF
cat >types-check.ts <<'EOF'
import { torch, nn, optim, data, engine, io, models, checkpoint, loggers, Trainer, TaskSpecs, distributed, hf, config, bundle, metrics, type Tensor } from 'torchtrain';
const t: Tensor = torch.zeros([2, 2]);
const m = new nn.Linear(2, 2);
const o = new optim.AdamW(m.parameters(), { lr: 1e-3 });
export const used = [t, o, data, engine, io, models, checkpoint, loggers, Trainer, TaskSpecs, distributed, hf, config, bundle, metrics];
EOF
PATH="$nocc" npx tsc -p . || fail "the installed .d.ts do not type-check (without @types/node)"
PATH="$nocc" npx tsx train.ts | tee "$work/train-a.log"
last=$(grep -oE 'loss [0-9.]+' "$work/train-a.log" | tail -1 | cut -d' ' -f2)
node -e "process.exit(Number('$last') < 0.01 ? 0 : 1)" || fail "the quickstart script did not train (last loss '$last')"

step "A. npx torchtrain info / doctor"
PATH="$nocc" npx torchtrain info
PATH="$nocc" npx torchtrain doctor || fail "torchtrain doctor found problems"
PATH="$nocc" npx torchtrain doctor --json | node -e "const r = JSON.parse(require('fs').readFileSync(0, 'utf8')); if (r.addon.kind !== 'prebuilt') process.exit(1)" \
  || fail "doctor --json does not report the prebuilt addon"

step "B. no prebuilt binary for this libtorch: explain, then build from source"
cd "$work"
tag=$(node --input-type=module -e "const m = await import('$repo/scripts/find-libtorch.mjs'); console.log(m.prebuildTag(m.findLibtorch({ log() {} })))")
mkdir unpacked && tar xzf "$tarball" -C unpacked
rm -rf "unpacked/package/prebuilds/linux-x64/$tag"
others=$(ls unpacked/package/prebuilds/linux-x64 2>/dev/null || true)
tar czf torchtrain-mismatch.tgz -C unpacked package
appb="$work/app-b"
new_project "$appb"
cd "$appb"
if PATH="$nocc" npm_install "$work/torchtrain-mismatch.tgz" >"$work/install-b1.log" 2>&1; then
  fail "the install without build tools and without a matching prebuilt binary succeeded"
fi
grep -q 'sudo apt-get install cmake g++ make' "$work/install-b1.log" || { cat "$work/install-b1.log"; fail "the failed install did not say which build tools to install"; }
echo "without build tools: failed, saying: $(grep -m1 'needs cmake' "$work/install-b1.log")"
npm_install "$work/torchtrain-mismatch.tgz" "tsx@$(version_of tsx)" 2>&1 | tee "$work/install-b2.log"
if [ -n "$others" ]; then
  grep -q "no prebuilt addon for $tag" "$work/install-b2.log" || fail "the install did not explain why it builds from source"
fi
[ -f node_modules/torchtrain/build/Release/torchtrain.node ] || fail "the install did not build the addon"
cp "$app/train.ts" .
npx tsx train.ts | tail -1
npx torchtrain doctor >/dev/null || fail "torchtrain doctor found problems after the build from source"

step "passed"
