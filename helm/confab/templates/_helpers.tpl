{{/* Names and labels, as `helm create` spells them. */}}
{{- define "confab.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "confab.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "confab.selectorLabels" -}}
app.kubernetes.io/name: {{ include "confab.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "confab.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "confab.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "confab.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "confab.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "confab.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "confab.secretName" -}}
{{- default (include "confab.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "confab.sqlite" -}}
{{- if eq .Values.database.type "sqlite" }}true{{ end }}
{{- end }}

{{/*
The chart's refusals: combinations the schema cannot express, each with what to do instead.
Included by every template that renders, so `helm template` and `helm install` both stop.
*/}}
{{- define "confab.validate" -}}
{{- $v := .Values }}
{{- if eq $v.database.type "sqlite" }}
{{- if gt (int $v.replicaCount) 1 }}
{{- fail (printf "confab: the SQLite profile runs exactly one replica (replicaCount=%d): SQLite is one file on a ReadWriteOnce volume. For more replicas use database.type=postgresql with redis.enabled=true (values-scaled.yaml)." (int $v.replicaCount)) }}
{{- end }}
{{- if $v.autoscaling.enabled }}
{{- fail "confab: the SQLite profile cannot autoscale (autoscaling.enabled=true): it runs exactly one replica. Use database.type=postgresql with redis.enabled=true (values-scaled.yaml)." }}
{{- end }}
{{- else }}
{{- if and (not $v.secrets.existingSecret) (not $v.secrets.databaseUrl) }}
{{- fail "confab: database.type=postgresql needs secrets.databaseUrl (postgres://user:password@host:5432/confab) or secrets.existingSecret holding it." }}
{{- end }}
{{- if and (or (gt (int $v.replicaCount) 1) $v.autoscaling.enabled) (not $v.redis.enabled) }}
{{- fail "confab: several replicas share limits, quotas and live answers through Redis: set redis.enabled=true (and secrets.redisUrl), or replicaCount=1 without autoscaling." }}
{{- end }}
{{- end }}
{{- if and (ne $v.database.type "sqlite") (ne $v.files.storage "s3") }}
{{- fail "confab: on PostgreSQL the pods keep no volume, so uploaded files need an S3-compatible bucket every replica shares: set files.storage=s3 and files.s3.bucket (with files.s3.endpoint, files.s3.accessKeyId and secrets.s3SecretAccessKey as your store needs)." }}
{{- end }}
{{- if and (eq $v.files.storage "s3") (not $v.files.s3.bucket) }}
{{- fail "confab: files.storage=s3 needs files.s3.bucket." }}
{{- end }}
{{- if and $v.redis.enabled (not $v.secrets.existingSecret) (not $v.secrets.redisUrl) }}
{{- fail "confab: redis.enabled=true needs secrets.redisUrl (redis://host:6379/0 or rediss://…) or secrets.existingSecret holding it." }}
{{- end }}
{{- if and $v.opensearch.enabled (not $v.opensearch.url) }}
{{- fail "confab: opensearch.enabled=true needs opensearch.url (e.g. https://opensearch.internal:9200)." }}
{{- end }}
{{- $osPassword := ternary $v.secrets.existingSecretKeys.opensearchPassword $v.secrets.opensearchPassword (ne $v.secrets.existingSecret "") }}
{{- if and $v.opensearch.enabled (ne (empty $v.opensearch.username) (empty $osPassword)) }}
{{- fail "confab: opensearch.username and a password go together: set both (secrets.opensearchPassword, or secrets.existingSecretKeys.opensearchPassword with an existing Secret) or neither." }}
{{- end }}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- fail (printf "confab: autoscaling.minReplicas (%d) is above autoscaling.maxReplicas (%d)." (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- end }}
{{- range $where, $keys := dict "secrets.providerApiKeys" $v.secrets.providerApiKeys "secrets.existingSecretKeys.providerApiKeys" $v.secrets.existingSecretKeys.providerApiKeys }}
{{- range $name, $_ := $keys }}
{{- if not (hasKey (default dict $v.config.providers) $name) }}
{{- fail (printf "confab: %s.%s names no provider of config.providers." $where $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The secret files the pod reads: a list of {key, file, env}, where key is the Secret's key, file the
name it is mounted as under /run/secrets/confab, and env the `…_FILE` variable the configuration
loader reads it from (core/src/config.rs).
*/}}
{{- define "confab.secretFiles" -}}
{{- $v := .Values }}
{{- $k := $v.secrets.existingSecretKeys }}
{{- $ext := ne $v.secrets.existingSecret "" }}
{{- $files := list }}
{{- $files = append $files (dict "key" (ternary $k.masterKey "master-key" $ext) "file" "master-key" "env" "CONFAB_SECRETS__MASTER_KEY_FILE") }}
{{- if ne $v.database.type "sqlite" }}
{{- $files = append $files (dict "key" (ternary $k.databaseUrl "database-url" $ext) "file" "database-url" "env" "CONFAB_DATABASE__URL_FILE") }}
{{- end }}
{{- if $v.redis.enabled }}
{{- $files = append $files (dict "key" (ternary $k.redisUrl "redis-url" $ext) "file" "redis-url" "env" "CONFAB_REDIS__URL_FILE") }}
{{- if (ternary $k.redisPassword $v.secrets.redisPassword $ext) }}
{{- $files = append $files (dict "key" (ternary $k.redisPassword "redis-password" $ext) "file" "redis-password" "env" "CONFAB_REDIS__PASSWORD_FILE") }}
{{- end }}
{{- end }}
{{- if and (eq $v.files.storage "s3") (ternary $k.s3SecretAccessKey $v.secrets.s3SecretAccessKey $ext) }}
{{- $files = append $files (dict "key" (ternary $k.s3SecretAccessKey "s3-secret-access-key" $ext) "file" "s3-secret-access-key" "env" "CONFAB_FILES__S3__SECRET_ACCESS_KEY_FILE") }}
{{- end }}
{{- if and $v.opensearch.enabled (ternary $k.opensearchPassword $v.secrets.opensearchPassword $ext) }}
{{- $files = append $files (dict "key" (ternary $k.opensearchPassword "opensearch-password" $ext) "file" "opensearch-password" "env" "CONFAB_OPENSEARCH__PASSWORD_FILE") }}
{{- end }}
{{- if and $v.bootstrap.email (ternary $k.bootstrapPassword $v.secrets.bootstrapPassword $ext) }}
{{- $files = append $files (dict "key" (ternary $k.bootstrapPassword "bootstrap-password" $ext) "file" "bootstrap-password" "env" "CONFAB_BOOTSTRAP_PASSWORD_FILE") }}
{{- end }}
{{- range $name, $key := (ternary $k.providerApiKeys $v.secrets.providerApiKeys $ext) }}
{{- $files = append $files (dict "key" (ternary $key (printf "provider-%s-api-key" $name) $ext) "file" (printf "provider-%s-api-key" $name) "env" (printf "CONFAB_PROVIDERS__%s__API_KEY_FILE" (upper $name))) }}
{{- end }}
{{- toJson (dict "files" $files) }}
{{- end }}

{{/* confab.toml: the values' config with what the chart owns laid over it. */}}
{{- define "confab.toml" -}}
{{- $v := .Values }}
{{- $c := deepCopy (default dict $v.config) }}
{{- $server := default dict $c.server }}
{{- $_ := set $server "listen" (printf "0.0.0.0:%d" (int $v.ports.http)) }}
{{- $_ = set $server "web_dir" "/usr/share/confab/web" }}
{{- $_ = set $server "shutdown_grace_secs" (int $v.shutdownGraceSeconds) }}
{{- $_ = set $c "server" $server }}
{{- $admin := default dict $c.admin }}
{{- $_ = set $admin "listen" (ternary (printf "0.0.0.0:%d" (int $v.ports.admin)) "off" $v.adminService.enabled) }}
{{- $_ = set $admin "dir" "/usr/share/confab/admin" }}
{{- $_ = set $c "admin" $admin }}
{{- /* /metrics on its own port only (the API port stops serving it). */}}
{{- $metrics := default dict $c.metrics }}
{{- $_ = set $metrics "listen" (printf "0.0.0.0:%d" (int $v.ports.metrics)) }}
{{- $_ = set $c "metrics" $metrics }}
{{- /* Replicas never migrate: the hook Job or the init container ran `confab migrate` first. */}}
{{- $db := dict "max_connections" (int $v.database.maxConnections) "migrate_on_start" (not $v.migrations.enabled) }}
{{- if eq $v.database.type "sqlite" }}
{{- $_ = set $db "url" "sqlite:///data/confab.db" }}
{{- end }}
{{- $_ = set $c "database" $db }}
{{- if $v.redis.enabled }}
{{- $redis := default dict $c.redis }}
{{- if $v.redis.username }}{{ $_ = set $redis "username" $v.redis.username }}{{ end }}
{{- $_ = set $c "redis" $redis }}
{{- end }}
{{- if $v.opensearch.enabled }}
{{- $_ = set $c "search" (dict "backend" "opensearch") }}
{{- $os := default dict $c.opensearch }}
{{- $_ = set $os "url" $v.opensearch.url }}
{{- if $v.opensearch.username }}{{ $_ = set $os "username" $v.opensearch.username }}{{ end }}
{{- $_ = set $c "opensearch" $os }}
{{- end }}
{{- $f := default dict $c.files }}
{{- if eq $v.files.storage "s3" }}
{{- $s3 := dict "bucket" $v.files.s3.bucket "prefix" $v.files.s3.prefix "path_style" $v.files.s3.pathStyle }}
{{- if $v.files.s3.endpoint }}{{ $_ = set $s3 "endpoint" $v.files.s3.endpoint }}{{ end }}
{{- if $v.files.s3.region }}{{ $_ = set $s3 "region" $v.files.s3.region }}{{ end }}
{{- if $v.files.s3.accessKeyId }}{{ $_ = set $s3 "access_key_id" $v.files.s3.accessKeyId }}{{ end }}
{{- if $v.files.s3.serverSideEncryption }}{{ $_ = set $s3 "server_side_encryption" $v.files.s3.serverSideEncryption }}{{ end }}
{{- if $v.files.s3.sseKmsKeyId }}{{ $_ = set $s3 "sse_kms_key_id" $v.files.s3.sseKmsKeyId }}{{ end }}
{{- $_ = set $f "storage" "s3" }}
{{- $_ = set $f "s3" $s3 }}
{{- else }}
{{- $_ = set $f "storage" "local" }}
{{- $_ = set $f "dir" "/data/files" }}
{{- end }}
{{- $_ = set $c "files" $f }}
{{- if $v.bootstrap.email }}
{{- $b := dict "email" $v.bootstrap.email }}
{{- if $v.bootstrap.tenant }}{{ $_ = set $b "tenant" $v.bootstrap.tenant }}{{ end }}
{{- $_ = set $c "bootstrap" $b }}
{{- end }}
{{- include "confab.wholeNumbers" $c }}
{{- toToml $c }}
{{- end }}

{{/*
Values files give every number as a float, which toToml would write as `3.0`: Confab's integer
keys refuse that. Whole numbers become integers, in place, through nested tables and arrays.
*/}}
{{- define "confab.wholeNumbers" -}}
{{- $m := . }}
{{- range $k, $v := $m }}
{{- if and (kindIs "float64" $v) (eq $v (floor $v)) }}
{{- $_ := set $m $k (int64 $v) }}
{{- else if kindIs "map" $v }}
{{- include "confab.wholeNumbers" $v }}
{{- else if kindIs "slice" $v }}
{{- range $v }}{{ if kindIs "map" . }}{{ include "confab.wholeNumbers" . }}{{ end }}{{ end }}
{{- end }}
{{- end }}
{{- end }}
