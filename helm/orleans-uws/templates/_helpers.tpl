{{/* Chart name, truncated to the DNS label limit. */}}
{{- define "uws.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified release name. */}}
{{- define "uws.fullname" -}}
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

{{/* Common labels. */}}
{{- define "uws.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "uws.name" . }}
{{- end }}

{{/* Selector labels of one component: include "uws.selectorLabels" (dict "ctx" . "component" "silo"). */}}
{{- define "uws.selectorLabels" -}}
app.kubernetes.io/name: {{ include "uws.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of one component's objects: the common labels plus its selector labels. */}}
{{- define "uws.componentLabels" -}}
{{ include "uws.labels" .ctx }}
{{ include "uws.selectorLabels" . }}
{{- end }}

{{/* Orleans' own pod labels (as in Orleans' Kubernetes hosting): which service and cluster a silo belongs to. */}}
{{- define "uws.orleansLabels" -}}
orleans/serviceId: {{ .Values.orleans.serviceId | quote }}
orleans/clusterId: {{ .Values.orleans.clusterId | quote }}
{{- end }}

{{- define "uws.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "uws.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* An image reference: include "uws.image" (dict "ctx" . "name" .Values.image.silo). */}}
{{- define "uws.image" -}}
{{- $registry := .ctx.Values.image.registry }}
{{- printf "%s%s:%s" (ternary (printf "%s/" $registry) "" (ne $registry "")) .name (.ctx.Values.image.tag | default .ctx.Chart.AppVersion) }}
{{- end }}

{{- define "uws.redisName" -}}
{{- printf "%s-redis" (include "uws.fullname" .) }}
{{- end }}

{{/* The Secret holding the Redis password, and its key; empty name when external Redis has no password. */}}
{{- define "uws.redisSecretName" -}}
{{- if .Values.redis.enabled }}
{{- default (include "uws.redisName" .) .Values.redis.auth.existingSecret }}
{{- else }}
{{- .Values.redis.external.existingSecret }}
{{- end }}
{{- end }}

{{- define "uws.redisSecretKey" -}}
{{- if .Values.redis.enabled }}
{{- ternary .Values.redis.auth.existingSecretKey "redis-password" (ne .Values.redis.auth.existingSecret "") }}
{{- else }}
{{- .Values.redis.external.existingSecretKey }}
{{- end }}
{{- end }}

{{/*
Environment every process that talks to Redis gets: REDIS_PASSWORD from the Secret, and UWS_REDIS, the
StackExchange.Redis connection string, which the kubelet expands with $(REDIS_PASSWORD).
*/}}
{{- define "uws.redisEnv" -}}
{{- $secret := include "uws.redisSecretName" . }}
{{- if $secret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: {{ include "uws.redisSecretKey" . }} }
{{- end }}
{{- $address := "" }}
{{- if .Values.redis.enabled }}
{{- $address = printf "%s:%d" (include "uws.redisName" .) (int .Values.redis.port) }}
{{- else }}
{{- $address = required "redis.external.address is required when redis.enabled=false" .Values.redis.external.address }}
{{- end }}
{{- $options := ternary "abortConnect=false" .Values.redis.external.options .Values.redis.enabled }}
- name: UWS_REDIS
  value: {{ printf "%s,%s%s" $address $options (ternary ",password=$(REDIS_PASSWORD)" "" (ne $secret "")) | quote }}
{{- end }}

{{- define "uws.modelsClaim" -}}
{{- default (printf "%s-models" (include "uws.fullname" .)) .Values.models.existingClaim }}
{{- end }}

{{/* Downward-API environment: who and where this pod is (used for the advertised address and telemetry). */}}
{{- define "uws.podEnv" -}}
- name: POD_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: POD_NAMESPACE
  valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
- name: POD_IP
  valueFrom: { fieldRef: { fieldPath: status.podIP } }
{{- end }}

{{/* OpenTelemetry environment shared by every pod: include "uws.otelEnv" (dict "ctx" . "component" "silo"). */}}
{{- define "uws.otelEnv" -}}
- name: OTEL_SERVICE_NAME
  value: {{ printf "%s-%s" (include "uws.fullname" .ctx) .component | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),service.namespace={{ .ctx.Values.orleans.serviceId }}"
{{- with .ctx.Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $.ctx.Values.telemetry.otlpProtocol | quote }}
{{- end }}
{{- end }}

{{/* Prometheus scrape annotations of a pod serving /metrics on `port`: include "uws.scrapeAnnotations" (dict "ctx" . "port" 8080). */}}
{{- define "uws.scrapeAnnotations" -}}
{{- if .ctx.Values.telemetry.prometheusAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: {{ .ctx.Values.telemetry.metricsPath | quote }}
{{- end }}
{{- end }}

{{/* Where uploads land: on the shared model volume, which every silo mounts at the same path. */}}
{{- define "uws.uploadDir" -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.models.mountPath) .Values.models.uploadSubPath }}
{{- end }}
