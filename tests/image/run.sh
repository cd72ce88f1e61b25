#!/usr/bin/env bash
# shellcheck disable=SC2015 # `check && ok … || bad …`: ok always succeeds
# The container image, tested without a container runtime (the deploy stage runs it):
#   bash tests/image/run.sh [CONFAB_BINARY]
# Builds the image (scripts/image.sh) from the given binary (default: the debug build the test
# command made), pushes it to a throw-away registry on loopback (crane, Go module proxy) and
# validates it there, unpacks its layers, and starts its entrypoint the way a pod of the chart's SQLite
# profile would: its root filesystem mounted read-only, as the image's user (uid 10001, no new
# privileges), with the chart's rendered confab.toml mounted at /etc/confab, the master key as a
# secret file, /data writable and a tmpfs at /tmp, in a private mount namespace (unshare, chroot).
# Then /healthz, /readyz, the web chat and the admin console must answer. Needs root (sudo).
# Prints a cargo-style `test result:` line.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

binary="${1:-$CARGO_TARGET_DIR/debug/confab}"
# Mount namespaces and chroot need root: through sudo, as the other scripts install packages.
if [ "$(id -u)" != 0 ]; then exec sudo --preserve-env=CARGO_TARGET_DIR bash "$0" "$binary"; fi
[ -x "$binary" ] || { echo "no confab binary at $binary" >&2; exit 1; }
want_package python3 command -v python3
want_package curl command -v curl
ensure_packages
ensure_go

make_run_dir confab-image-test
W="$RUN_DIR"
passed=0
failed=0
ok() { echo "ok:   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL: $1" >&2; failed=$((failed + 1)); }
finish() {
  echo "test result: $([ "$failed" = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; 0 ignored"
  [ "$failed" = 0 ]
}

# The web chat and console as built by their stages; a marked stand-in when not built here.
web=web/dist
admin=admin/dist
for app in web admin; do
  if [ ! -f "$app/dist/index.html" ]; then
    mkdir -p "$W/$app"
    echo "<!doctype html><title>confab-image-test $app</title>" >"$W/$app/index.html"
    eval "$app=\$W/\$app"
  fi
done

echo "== building the image from $binary"
bash scripts/image.sh --binary "$binary" --web "$web" --admin "$admin" --out "$W/layout" --tag confab:test
[ -f "$W/layout/index.json" ] && ok "an OCI image layout" || bad "no index.json in the layout"

echo "== pushing it to a registry on loopback (crane registry serve), as the README says"
CRANE="$(go env GOPATH)/bin/crane"
"$CRANE" version 2>/dev/null | grep -qx v0.22.1 || go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
reg_port="$(free_port)"
"$CRANE" registry serve --address "127.0.0.1:$reg_port" >"$W/registry.log" 2>&1 &
registry=$!
stop_registry() { kill "$registry" 2>/dev/null || true; wait "$registry" 2>/dev/null || true; }
on_exit stop_registry
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$reg_port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
ref="127.0.0.1:$reg_port/confab:test"
if "$CRANE" push --insecure "$W/layout" "$ref" >"$W/push.log" 2>&1 &&
  "$CRANE" validate --insecure --remote "$ref" >>"$W/push.log" 2>&1; then
  ok "the layout pushes to a registry and validates"
else
  bad "crane push or validate failed: $(tail -n 3 "$W/push.log")"
fi
stop_registry

echo "== unpacking it"
"$HOME/.cache/confab-go/bin/confab-image" unpack --layout "$W/layout" --rootfs "$W/rootfs" >"$W/config.json"
read_config() { python3 -c "import json,sys; c=json.load(open('$W/config.json'))['config']; print($1)"; }
user="$(read_config "c['User']")"
entrypoint="$(read_config "' '.join(c['Entrypoint'])")"
[ "$user" = 10001:10001 ] && ok "runs as uid 10001" || bad "image user is $user"
[ "$entrypoint" = /usr/local/bin/confab ] && ok "confab is the entrypoint" || bad "entrypoint is $entrypoint"
[ "$(read_config "list(c['Volumes'])")" = "['/data']" ] && ok "one volume, /data" || bad "volumes: $(read_config "c.get('Volumes')")"
[ "$(read_config "c['Labels']['org.opencontainers.image.title']")" = Confab ] && ok "OCI labels" || bad "no OCI title label"
[ "$(stat -c %u "$W/rootfs/data")" = 10001 ] && ok "/data belongs to the user" || bad "/data is not uid 10001's"

# The configuration the chart renders for the SQLite profile, and its secret files.
echo "== rendering the chart's SQLite profile configuration"
HELM="$(go env GOPATH)/bin/helm"
[ -x "$HELM" ] || go install helm.sh/helm/v3/cmd/helm@v3.22.0
mkdir -p "$W/config" "$W/secrets" "$W/data"
"$HELM" template t helm/confab --kube-version 1.31.0 -f helm/confab/values-sqlite.yaml \
  --show-only templates/configmap.yaml | sed -n '/confab.toml: |/,$p' | tail -n +2 | sed 's/^    //' >"$W/config/confab.toml"
grep -q 'sqlite:///data/confab.db' "$W/config/confab.toml" && ok "the chart's confab.toml" || bad "no confab.toml rendered"
openssl rand -base64 32 >"$W/secrets/master-key" 2>/dev/null || head -c 32 /dev/urandom | base64 >"$W/secrets/master-key"
chown -R 10001:10001 "$W/data"
chmod 0440 "$W/secrets/master-key"
chgrp 10001 "$W/secrets/master-key"
mkdir -p "$W/rootfs/run/secrets/confab" # the mount point a pod's runtime makes

port="$(free_port)"
admin_port="$(free_port)"
# The image's environment, then the pod's (the chart's), then this test's ports.
mapfile -t image_env < <(read_config "'\n'.join(c['Env'])")
cat >"$W/start.sh" <<START
set -e
R="$W/rootfs"
mount --bind "\$R" "\$R"
mount --bind -o ro "$W/config" "\$R/etc/confab"
mount --bind -o ro "$W/secrets" "\$R/run/secrets/confab"
mount --bind "$W/data" "\$R/data"
mount -t tmpfs -o mode=1777,size=64m tmpfs "\$R/tmp"
mount -o remount,bind,ro "\$R"
image=(env -i ${image_env[*]}
  CONFAB_SECRETS__MASTER_KEY_FILE=/run/secrets/confab/master-key
  CONFAB_SERVER__LISTEN=127.0.0.1:$port CONFAB_ADMIN__LISTEN=127.0.0.1:$admin_port
  $(command -v setpriv) --no-new-privs $(command -v chroot) --userspec=$user "\$R" $entrypoint)
# The pod's init container, then its server (which, as the chart configures it, migrates nothing).
"\${image[@]}" migrate
exec "\${image[@]}" serve
START
echo "== starting the image's entrypoint (read-only root, uid 10001)"
unshare --mount --propagation private bash "$W/start.sh" >"$W/server.log" 2>&1 &
server=$!
stop_server() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
on_exit stop_server
up=""
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >"$W/healthz" 2>/dev/null; then up=1; break; fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$up" ]; then
  bad "the server did not answer /healthz; its output:"
  tail -n 30 "$W/server.log" >&2
  finish
  exit 1
fi
grep -q '"ok"' "$W/healthz" && ok "/healthz answers" || bad "/healthz said $(cat "$W/healthz")"
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null && ok "/readyz: ready (database migrated on the volume)" || bad "/readyz not ready"
curl -fsS "http://127.0.0.1:$port/" | grep -qi '<!doctype html' && ok "the web chat is served from the image" || bad "no web chat at /"
curl -fsS "http://127.0.0.1:$admin_port/" | grep -qi '<!doctype html' && ok "the admin console is served from the image" || bad "no admin console"
# This root has no /etc/resolv.conf (a kubelet or container runtime mounts one): the server serves
# on, and says that domain verification through DNS needs auth.domain_dns_server.
if [ ! -e "$W/rootfs/etc/resolv.conf" ]; then
  grep -q 'domain verification through DNS is off' "$W/server.log" && ok "without a system DNS configuration it serves and says how to set one" ||
    bad "no word about DNS lookups in a root without /etc/resolv.conf"
fi
# unshare, bash, env, setpriv and chroot each exec the next: the server has the started pid.
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$server/status")" = 10001 ] && ok "the server runs as uid 10001" || bad "the server is not uid 10001"
[ "$(stat -c %u "$W/data/confab.db" 2>/dev/null)" = 10001 ] && ok "the database is on the data volume" || bad "no database on the data volume"
# The server's own view of its mounts (paths relative to its root): / read-only, /data not.
root_opts="$(awk '$5 == "/" { print $6 }' "/proc/$server/mountinfo" | tail -n 1)"
data_opts="$(awk '$5 == "/data" { print $6 }' "/proc/$server/mountinfo" | tail -n 1)"
[[ "$root_opts" == ro,* ]] && [[ "$data_opts" == rw,* ]] && ok "its root filesystem is read-only, /data writable" ||
  bad "mounts: / $root_opts, /data $data_opts"
[ -z "$(find "$W/rootfs" -mindepth 1 -newer "$W/config.json" -not -path "$W/rootfs/run*" -print -quit)" ] &&
  ok "nothing written to the root filesystem" || bad "the root filesystem changed: $(find "$W/rootfs" -mindepth 1 -newer "$W/config.json" | head -n 3)"
finish
