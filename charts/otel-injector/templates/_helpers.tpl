{{/* Chart name, truncated to a DNS label. */}}
{{- define "otel-injector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name used for the Deployment, Service, ServiceAccount and MutatingWebhookConfiguration.
Truncated to 52 characters so that derived names (<fullname>-tls, <fullname>-selfsigned-ca, ...) stay
within 63.
*/}}
{{- define "otel-injector.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "otel-injector.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "otel-injector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "otel-injector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "otel-injector.labels" -}}
helm.sh/chart: {{ include "otel-injector.chart" . }}
{{ include "otel-injector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Label on the webhook's own pods; the webhook's objectSelector keeps pods carrying it out. */}}
{{- define "otel-injector.componentLabelKey" -}}otel-injector.io/component{{- end }}

{{- define "otel-injector.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "otel-injector.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image reference from {repository, tag, digest}; tag defaults to the chart's appVersion. Call with (list .Values.x.image $) */}}
{{- define "otel-injector.imageRef" -}}
{{- $img := index . 0 }}
{{- $root := index . 1 }}
{{- if $img.digest }}
{{- printf "%s@%s" $img.repository $img.digest }}
{{- else }}
{{- printf "%s:%s" $img.repository (default $root.Chart.AppVersion $img.tag) }}
{{- end }}
{{- end }}

{{/* Secret holding the serving certificate (self-managed: written by the webhook; cert-manager: written by cert-manager). */}}
{{- define "otel-injector.tlsSecretName" -}}
{{- if eq .Values.certificates.mode "secret" }}
{{- required "certificates.secret.name is required when certificates.mode=secret" .Values.certificates.secret.name }}
{{- else if and (eq .Values.certificates.mode "self-managed") .Values.certificates.selfManaged.secretName }}
{{- .Values.certificates.selfManaged.secretName }}
{{- else }}
{{- printf "%s-tls" (include "otel-injector.fullname" .) }}
{{- end }}
{{- end }}

{{/* Name of the webhook entry inside the MutatingWebhookConfiguration (must be a qualified name). */}}
{{- define "otel-injector.webhookEntryName" -}}inject.otel-injector.io{{- end }}

{{/* true when the webhook container reads its certificate from mounted files. */}}
{{- define "otel-injector.filesMode" -}}
{{- if or (eq .Values.certificates.mode "cert-manager") (eq .Values.certificates.mode "secret") }}true{{ end }}
{{- end }}

{{- define "otel-injector.tlsMountPath" -}}/var/run/otel-injector/tls{{- end }}

{{/* The controller's mode: off, report or restart. YAML's unquoted off parses as false: that is off too. */}}
{{- define "otel-injector.controllerMode" -}}
{{- $m := .Values.controller.mode }}
{{- if or (kindIs "bool" $m) (eq (toString $m) "off") }}off{{ else }}{{ $m }}{{ end }}
{{- end }}

{{/* Name of the controller's Deployment, ServiceAccount, ClusterRole, Role and Lease (fullname is at most 52). */}}
{{- define "otel-injector.controllerName" -}}
{{- printf "%s-controller" (include "otel-injector.fullname" .) }}
{{- end }}

{{/*
Selector labels of the controller pods. Their app.kubernetes.io/name differs from the webhook's, so that
neither the webhook's Service, Deployment, PodDisruptionBudget nor spread constraint selects a controller pod.
*/}}
{{- define "otel-injector.controllerSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-controller" (include "otel-injector.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "otel-injector.controllerLabels" -}}
helm.sh/chart: {{ include "otel-injector.chart" . }}
{{ include "otel-injector.controllerSelectorLabels" . }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: {{ include "otel-injector.name" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Namespaces the controller never acts on: the same list the webhook's namespaceSelector excludes. */}}
{{- define "otel-injector.excludedNamespaces" -}}
{{- join "," (uniq (concat (list .Release.Namespace "kube-system") (default (list) .Values.namespaceSelector.excludeNamespaces))) }}
{{- end }}

{{/*
The collector's credentials (issue 21): which items the collector Secret of each opted-in namespace holds, as
"ca clientCertificate headers" flags; fails on contradictory values so helm says it before the webhook would.
*/}}
{{- define "otel-injector.collectorItems" -}}
{{- $c := .Values.collector }}
{{- $sources := 0 }}
{{- if $c.ca.configMap.name }}{{ $sources = add1 $sources }}{{ end }}
{{- if $c.ca.secret.name }}{{ $sources = add1 $sources }}{{ end }}
{{- if $c.ca.pem }}{{ $sources = add1 $sources }}{{ end }}
{{- if gt $sources 1 }}{{ fail "collector.ca: set only one of configMap.name, secret.name and pem" }}{{ end }}
{{- $tlsUsed := or (gt $sources 0) $c.clientCertificate.secretName }}
{{- $https := false }}
{{- range (list .Values.inject.otlpEndpoint $c.tracesEndpoint $c.metricsEndpoint $c.logsEndpoint) }}
{{- if hasPrefix "https://" . }}{{ $https = true }}{{ end }}
{{- end }}
{{- if and $tlsUsed (not $https) }}{{ fail "collector.ca / collector.clientCertificate are set but every collector endpoint is http://: certificates are only used over https://" }}{{ end }}
{{- $mount := trimSuffix "/" $c.mountPath }}
{{- $pre := trimSuffix "/" .Values.payload.mountPath }}
{{- if or (eq $mount $pre) (hasPrefix (printf "%s/" $pre) $mount) (hasPrefix (printf "%s/" $mount) $pre) }}{{ fail "collector.mountPath must not overlap payload.mountPath" }}{{ end }}
{{- dict "ca" (gt $sources 0) "clientCertificate" (not (empty $c.clientCertificate.secretName)) "headers" (gt (len $c.headers) 0) | toJson }}
{{- end }}

{{/* True ("true") when the controller keeps copies of the collector Secret: a source is configured and the controller runs. */}}
{{- define "otel-injector.collectorCopy" -}}
{{- $items := include "otel-injector.collectorItems" . | fromJson }}
{{- if and (ne (include "otel-injector.controllerMode" .) "off") (or $items.ca $items.clientCertificate $items.headers) }}true{{ end }}
{{- end }}

{{/* The Secrets of the release namespace the controller reads the collector Secret's items from (names, unique). */}}
{{- define "otel-injector.collectorSourceSecrets" -}}
{{- $c := .Values.collector }}
{{- $names := list }}
{{- with $c.ca.secret.name }}{{ $names = append $names . }}{{ end }}
{{- with $c.clientCertificate.secretName }}{{ $names = append $names . }}{{ end }}
{{- range $c.headers }}{{ $names = append $names .secretName }}{{ end }}
{{- uniq $names | toJson }}
{{- end }}

{{/*
The payload delivery (payload.delivery): "true" when the controller publishes the delivery support snapshot
(image-volume or auto), "" for init-container. auto decides from that snapshot, so it needs the controller;
a custom init command has a layout of its own, which the image volume's subPath mounts cannot know.
*/}}
{{- define "otel-injector.deliverySupport" -}}
{{- $d := .Values.payload.delivery | default "init-container" }}
{{- if ne $d "init-container" }}
{{- if .Values.payload.command }}{{ fail (printf "payload.delivery %s mounts the payload image's own layout: payload.command must be empty" $d) }}{{ end }}
{{- if and (eq $d "auto") (eq (include "otel-injector.controllerMode" .) "off") }}{{ fail "payload.delivery auto needs the controller (controller.mode report or restart): it publishes what the cluster supports" }}{{ end }}
true
{{- end }}
{{- end }}

{{/* The ConfigMap with the delivery support snapshot: <fullname>-delivery (src/k8s/contract/delivery.ts). */}}
{{- define "otel-injector.deliveryConfigMap" -}}
{{- printf "%s-delivery" (include "otel-injector.fullname" .) }}
{{- end }}

{{- define "otel-injector.deliveryMountPath" -}}/etc/otel-injector/delivery{{- end }}
