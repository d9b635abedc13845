#!/bin/sh
# helm test: dry-run create a pod in an opted-in namespace and fail unless the webhook instrumented it.
# Env: TEST_NAMESPACE (opted-in namespace), PROBE_POD (pod manifest, JSON). Needs kubectl and /tmp.
set -eu

fail() {
  echo "FAIL: $1" >&2
  if [ -s /tmp/result.json ]; then
    echo "--- pod returned by the API server ---" >&2
    cat /tmp/result.json >&2
  fi
  exit 1
}

field() {
  kubectl label --local -f /tmp/result.json otel-injector.io/probe=1 -o "jsonpath=$1"
}

echo "server-side dry run of a pod in namespace ${TEST_NAMESPACE}"
printf '%s' "$PROBE_POD" > /tmp/probe.json
: > /tmp/result.json
kubectl create --dry-run=server -n "$TEST_NAMESPACE" -f /tmp/probe.json -o json > /tmp/result.json \
  || fail "kubectl create --dry-run=server was refused"

status=$(field '{.metadata.annotations.otel-injector\.io/status}')
inits=$(field '{range .spec.initContainers[*]}{.name} {end}')
nodeOptions=$(field '{range .spec.containers[*]}{.env[?(@.name=="NODE_OPTIONS")].value}{"\n"}{end}')

echo "otel-injector.io/status: ${status:-<none>}"
echo "init containers: ${inits:-<none>}"
echo "NODE_OPTIONS: ${nodeOptions:-<none>}"

[ "$status" = "injected" ] \
  || fail "annotation otel-injector.io/status is '${status}', expected 'injected' (is namespace ${TEST_NAMESPACE} labelled, and the webhook ready?)"
[ -n "$inits" ] || fail "no init container was added"
case "$nodeOptions" in
  *--require*) ;;
  *) fail "NODE_OPTIONS does not --require the preload" ;;
esac
echo "PASS: the pod came back instrumented"
