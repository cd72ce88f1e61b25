#!/usr/bin/env bash
# The chart's tests (the test command's `deploy` stage runs them, then scripts/image.sh's):
#   bash helm/test.sh
# `helm lint --strict` and `helm template` over a matrix of values (both profiles, ingress on and
# off, an existing Secret, autoscaling), every rendered manifest decoded strictly into the
# Kubernetes API types (helm/validate), and bad values refused with the documented message.
# Installs helm v3.22.0 with `go install` when missing (Go module proxy; cached in GOPATH).
# Prints a cargo-style `test result:` line.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

HELM_VERSION=v3.22.0
KUBE_VERSION=1.31.0 # `go install`ed helm reports no version of its own; the chart needs 1.30+
ensure_go
HELM="$(go env GOPATH)/bin/helm"
if ! "$HELM" version --template '{{.Version}}' 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; then
  echo "== installing helm $HELM_VERSION (go install)"
  go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
VALIDATE="$HOME/.cache/confab-go/bin/confab-validate-manifests"
(cd helm/validate && go build -o "$VALIDATE" .)

CHART=helm/confab
WORK="$(mktemp -d /tmp/confab-helm.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0
ok() { echo "ok:   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL: $1" >&2; failed=$((failed + 1)); }

# Values the cases share.
cat >"$WORK/pg.yaml" <<'VALUES'
database: {type: postgresql}
secrets:
  databaseUrl: postgres://confab:pw@db:5432/confab
  redisUrl: redis://redis:6379/0
  masterKey: bWFzdGVyLWtleS0zMi1ieXRlcy1vZi1yYW5kb21uZXM=
  s3SecretAccessKey: s3-secret
files:
  storage: s3
  s3: {endpoint: "http://minio.storage:9000", bucket: uploads, pathStyle: true, accessKeyId: confab}
VALUES
cat >"$WORK/providers.yaml" <<'VALUES'
config:
  providers:
    openai: {kind: openai, base_url: "https://api.openai.com/v1", max_retries: 3}
  models:
    - {id: gpt-4o, provider: openai, context_window: 128000, max_output_tokens: 4096, input_price_per_million: 2.5}
secrets:
  providerApiKeys: {openai: sk-test}
  bootstrapPassword: first-admin-password
bootstrap: {email: admin@example.com, tenant: Example}
VALUES

# `render NAME EXPECTED-OBJECTS UNEXPECTED-OBJECTS HELM-ARGS...`: lint and render with the args,
# decode every manifest strictly, and check which objects are (not) there.
render() {
  local name="$1" want="$2" unwanted="$3" out="$WORK/$1.yaml" object
  shift 3
  if ! helm_out="$("$HELM" lint --strict --kube-version "$KUBE_VERSION" "$CHART" "$@" 2>&1)"; then
    bad "$name: helm lint --strict"
    echo "$helm_out" >&2
    return
  fi
  if ! "$HELM" template t "$CHART" --kube-version "$KUBE_VERSION" "$@" >"$out" 2>"$WORK/err"; then
    bad "$name: helm template"
    cat "$WORK/err" >&2
    return
  fi
  if ! "$VALIDATE" <"$out" >"$WORK/$name.objects"; then
    bad "$name: the rendered manifests do not decode strictly"
    return
  fi
  for object in $want; do
    grep -qx "$object" "$WORK/$name.objects" || { bad "$name: no $object rendered"; return; }
  done
  for object in $unwanted; do
    if grep -qx "$object" "$WORK/$name.objects"; then bad "$name: $object rendered"; return; fi
  done
  ok "$name ($(wc -l <"$WORK/$name.objects") objects)"
}

# `refused NAME MESSAGE HELM-ARGS...`: helm template fails and says MESSAGE.
refused() {
  local name="$1" message="$2"
  shift 2
  if "$HELM" template t "$CHART" --kube-version "$KUBE_VERSION" "$@" >/dev/null 2>"$WORK/err"; then
    bad "$name: rendered, but should be refused"
  elif ! grep -qF -- "$message" "$WORK/err"; then
    bad "$name: refused without saying \"$message\":"
    cat "$WORK/err" >&2
  else
    ok "$name: refused, saying \"$message\""
  fi
}

# `has NAME FILE PATTERN`: a rendered file holds an extended regular expression.
has() {
  if grep -qE -- "$3" "$WORK/$2.yaml"; then ok "$1"; else bad "$1: no match for $3 in $2"; fi
}

core="Deployment/t-confab ConfigMap/t-confab Service/t-confab Service/t-confab-admin ServiceAccount/t-confab NetworkPolicy/t-confab PodDisruptionBudget/t-confab"

echo "== helm lint and template over the values matrix"
render defaults "$core Secret/t-confab PersistentVolumeClaim/t-confab" "Job/t-confab-migrate HorizontalPodAutoscaler/t-confab Ingress/t-confab"
render sqlite "$core Secret/t-confab PersistentVolumeClaim/t-confab" "Job/t-confab-migrate HorizontalPodAutoscaler/t-confab" -f "$CHART/values-sqlite.yaml"
render sqlite-ingress-providers "$core Ingress/t-confab" "" -f "$CHART/values-sqlite.yaml" -f "$WORK/providers.yaml" --set ingress.enabled=true,ingress.tlsSecretName=tls
render sqlite-existing-claim "$core" "PersistentVolumeClaim/t-confab" -f "$CHART/values-sqlite.yaml" --set persistence.existingClaim=mine
render scaled "$core Job/t-confab-migrate HorizontalPodAutoscaler/t-confab Ingress/t-confab" "Secret/t-confab Secret/t-confab-migrate PersistentVolumeClaim/t-confab" -f "$CHART/values-scaled.yaml"
render scaled-no-ingress-no-hpa "$core Job/t-confab-migrate Secret/t-confab Secret/t-confab-migrate" "Ingress/t-confab HorizontalPodAutoscaler/t-confab PersistentVolumeClaim/t-confab" \
  -f "$CHART/values-scaled.yaml" -f "$WORK/pg.yaml" --set secrets.existingSecret=,secrets.opensearchPassword=pw,ingress.enabled=false,autoscaling.enabled=false,replicaCount=2
render postgres-one-replica "$core Job/t-confab-migrate" "HorizontalPodAutoscaler/t-confab" -f "$WORK/pg.yaml" -f "$WORK/providers.yaml"
render scaled-hardened "${core/ Service\/t-confab-admin/}" "Service/t-confab-admin" -f "$CHART/values-scaled.yaml" --set adminService.enabled=false,networkPolicy.egress[0].to[0].ipBlock.cidr=10.0.0.0/8
monitoring="ServiceMonitor/t-confab PrometheusRule/t-confab ConfigMap/t-confab-dashboards"
render no-monitoring "$core" "$monitoring" -f "$CHART/values-scaled.yaml"
render scaled-monitoring "$core $monitoring" "" -f "$CHART/values-scaled.yaml" \
  --set metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,metrics.dashboards.enabled=true,metrics.serviceMonitor.labels.release=kps \
  --set-json 'networkPolicy.metricsFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}}]'

echo "== what the renders say"
has "sqlite: one replica, Recreate, the PVC at /data, migrated by an init container" sqlite 'type: Recreate'
has "sqlite: database on the volume" sqlite 'url = "sqlite:///data/confab.db"'
has "sqlite: init container runs confab migrate" sqlite 'args: \["migrate"\]'
has "sqlite: the server does not migrate on start" sqlite 'migrate_on_start = false'
has "scaled: the replicas do not migrate on start" scaled 'migrate_on_start = false'
has "scaled: rolling update without unavailable replicas" scaled 'maxUnavailable: 0'
has "scaled: migration job is a pre-install/pre-upgrade hook" scaled 'helm.sh/hook: pre-install,pre-upgrade'
has "scaled: secrets come from the existing Secret" scaled 'secretName: confab-secrets'
has "scaled: the database URL is read from a file" scaled 'CONFAB_DATABASE__URL_FILE'
has "scaled: Redis URL from a file" scaled 'CONFAB_REDIS__URL_FILE'
has "scaled: OpenSearch is the search backend" scaled 'backend = "opensearch"'
has "scaled: OpenSearch password from a file" scaled 'CONFAB_OPENSEARCH__PASSWORD_FILE'
has "scaled: the ingress does not buffer streams" scaled 'nginx.ingress.kubernetes.io/proxy-buffering: "off"'
has "scaled: long reads through the ingress" scaled 'nginx.ingress.kubernetes.io/proxy-read-timeout: "3600"'
has "providers: API key from a file" sqlite-ingress-providers 'CONFAB_PROVIDERS__OPENAI__API_KEY_FILE'
has "providers: whole numbers stay integers in confab.toml" sqlite-ingress-providers '^ +context_window = 128000$'
has "providers: prices stay decimals" sqlite-ingress-providers 'input_price_per_million = 2.5$'
has "bootstrap: password from a file" sqlite-ingress-providers 'CONFAB_BOOTSTRAP_PASSWORD_FILE'
has "sqlite: uploads on the data volume" sqlite 'dir = "/data/files"'
has "scaled: uploads in the S3 bucket" scaled 'bucket = "confab-uploads"'
has "scaled: server-side encryption asked of the bucket" scaled 'server_side_encryption = "AES256"'
has "scaled: the S3 secret key from a file" scaled 'CONFAB_FILES__S3__SECRET_ACCESS_KEY_FILE'
has "postgres: the chart's Secret holds the S3 secret key" postgres-one-replica 's3-secret-access-key: '
has "postgres: path-style requests for a self-hosted store" postgres-one-replica 'path_style = true'
has "admin listener off when its Service is" scaled-hardened 'listen = "off"'
has "egress rules add DNS" scaled-hardened 'port: 53'
has "metrics: /metrics on its own listener, off the API port" defaults '^ +listen = "0.0.0.0:9090"$'
has "metrics: the Service names the metrics port" defaults 'name: metrics'
has "metrics: the NetworkPolicy admits the Prometheus namespace to it" scaled-monitoring 'kubernetes.io/metadata.name: monitoring'
has "metrics: the ServiceMonitor scrapes the metrics port" scaled-monitoring '^ +- port: metrics$'
has "metrics: the ServiceMonitor carries the Prometheus's selector label" scaled-monitoring '^ +release: kps$'
has "metrics: the dashboard ConfigMap has the Grafana sidecar label" scaled-monitoring '^ +grafana_dashboard: "1"$'
has "metrics: the dashboard is in its ConfigMap" scaled-monitoring '"uid": "confab-overview"'
has "metrics: the TTFT p99 alert" scaled-monitoring 'alert: ConfabTimeToFirstTokenHigh'
has "metrics: the error ratio alert" scaled-monitoring 'alert: ConfabTurnErrorRatioHigh'
has "metrics: the search backlog alert" scaled-monitoring 'alert: ConfabSearchBacklogHigh'
has "metrics: the Redis alert" scaled-monitoring 'alert: ConfabRedisDown'
for dashboard in "$CHART"/dashboards/*.json; do
  if python3 -m json.tool "$dashboard" >/dev/null; then ok "dashboard $(basename "$dashboard") is JSON"; else bad "dashboard $dashboard is not JSON"; fi
done

# The drain budget: the kubelet must not kill a pod before it drained (preStop sleep, then
# server.shutdown_grace_secs after SIGTERM). The chart renders a period that covers both; the
# validator refuses a manifest where it does not.
sed -E 's/terminationGracePeriodSeconds: [0-9]+/terminationGracePeriodSeconds: 30/' "$WORK/scaled.yaml" >"$WORK/short-grace.yaml"
if "$VALIDATE" <"$WORK/short-grace.yaml" >/dev/null 2>"$WORK/err"; then
  bad "a termination grace shorter than the drain is accepted"
elif grep -q "terminationGracePeriodSeconds 30 must exceed the preStop sleep 10 + server.shutdown_grace_secs 30" "$WORK/err"; then
  ok "a termination grace shorter than the drain is refused"
else
  bad "a short termination grace refused without the documented message:"
  cat "$WORK/err" >&2
fi

echo "== bad values are refused with the documented message"
refused "sqlite with 2 replicas" "the SQLite profile runs exactly one replica (replicaCount=2)" -f "$CHART/values-sqlite.yaml" --set replicaCount=2
refused "sqlite with autoscaling" "the SQLite profile cannot autoscale" -f "$CHART/values-sqlite.yaml" --set autoscaling.enabled=true
refused "postgresql without a database URL" "database.type=postgresql needs secrets.databaseUrl" --set database.type=postgresql
refused "postgresql with uploads on a pod's disk" "uploaded files need an S3-compatible bucket every replica shares" --set database.type=postgresql,secrets.databaseUrl=postgres://c:p@db/c
refused "S3 without a bucket" "files.storage=s3 needs files.s3.bucket" --set files.storage=s3
refused "an unknown server-side encryption" "at '/files/s3/serverSideEncryption'" --set files.s3.serverSideEncryption=rot13
refused "replicas without Redis" "several replicas share limits, quotas and live answers through Redis" -f "$WORK/pg.yaml" --set replicaCount=3
refused "OpenSearch without a URL" "opensearch.enabled=true needs opensearch.url" --set opensearch.enabled=true
refused "an OpenSearch user without a password" "opensearch.username and a password go together" --set opensearch.enabled=true,opensearch.url=http://os:9200,opensearch.username=u
refused "an API key for an unknown provider" "secrets.providerApiKeys.nope names no provider" --set secrets.providerApiKeys.nope=k
refused "a database type the chart does not know" "at '/database/type': value must be one of 'sqlite', 'postgresql'" --set database.type=mysql
refused "a configuration key Confab does not have" "at '/config/server': additional properties 'listen' not allowed" --set config.server.listen=0.0.0.0:1
refused "a misspelt configuration section" "at '/config': additional properties 'chatt' not allowed" --set config.chatt.demo_model=false
refused "a master key that is not 32 bytes of base64" "at '/secrets/masterKey'" --set secrets.masterKey=short
refused "a database URL that is not PostgreSQL" "at '/secrets/databaseUrl'" --set secrets.databaseUrl=mysql://x
refused "a short ingress read timeout" "at '/ingress/readTimeoutSeconds': minimum: got 30, want 60" --set ingress.readTimeoutSeconds=30
refused "an unknown top-level value" "additional properties 'replicas' not allowed" --set replicas=3
refused "an alert ratio above 1" "at '/metrics/prometheusRule/errorRatio': maximum: got 2, want 1" --set metrics.prometheusRule.errorRatio=2
refused "a misspelt metrics value" "at '/metrics': additional properties 'servicemonitor' not allowed" --set metrics.servicemonitor.enabled=true
refused "an unknown log format" "at '/config/log/format': value must be one of 'human', 'json'" --set config.log.format=xml

echo "test result: $([ "$failed" = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; 0 ignored"
[ "$failed" = 0 ]
