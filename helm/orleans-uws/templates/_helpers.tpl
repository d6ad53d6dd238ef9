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

{{- define "uws.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "uws.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "uws.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* StackExchange.Redis connection string of the cluster's Redis. */}}
{{- define "uws.redisConnectionString" -}}
{{- if .Values.redis.enabled }}
{{- printf "%s-redis:6379,abortConnect=false" (include "uws.fullname" .) }}
{{- else }}
{{- required "redis.externalConnectionString is required when redis.enabled=false" .Values.redis.externalConnectionString }}
{{- end }}
{{- end }}

{{- define "uws.modelsClaim" -}}
{{- default (printf "%s-models" (include "uws.fullname" .)) .Values.models.existingClaim }}
{{- end }}

{{/* OpenTelemetry environment shared by every pod. */}}
{{- define "uws.otelEnv" -}}
{{- if .Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.telemetry.otlpEndpoint | quote }}
{{- end }}
{{- end }}
