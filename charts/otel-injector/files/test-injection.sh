#!/bin/sh
# helm test: dry-run create a pod in an opted-in namespace and fail unless the webhook instrumented it.
# Env: TEST_NAMESPACE (opted-in namespace), PROBE_POD (pod manifest, JSON); TMPDIR (default /tmp) is
# written to. Needs kubectl and a POSIX shell.
set -eu
work="${TMPDIR:-/tmp}"

fail() {
  echo "FAIL: $1" >&2
  if [ -s "$work/result.json" ]; then
    echo "--- pod returned by the API server ---" >&2
    cat "$work/result.json" >&2
  fi
  exit 1
}

field() {
  kubectl label --local -f "$work/result.json" otel-injector.io/probe=1 -o "jsonpath=$1"
}

echo "server-side dry run of a pod in namespace ${TEST_NAMESPACE}"
printf '%s' "$PROBE_POD" > "$work/probe.json"
: > "$work/result.json"
kubectl create --dry-run=server -n "$TEST_NAMESPACE" -f "$work/probe.json" -o json > "$work/result.json" \
  || fail "kubectl create --dry-run=server was refused"

status=$(field '{.metadata.annotations.otel-injector\.io/status}')
inits=$(field '{range .spec.initContainers[*]}{.name} {end}')
nodeOptions=$(field '{range .spec.containers[*]}{.env[?(@.name=="NODE_OPTIONS")].value}{"\n"}{end}')
pythonPath=$(field '{range .spec.containers[*]}{.env[?(@.name=="PYTHONPATH")].value}{"\n"}{end}')

echo "otel-injector.io/status: ${status:-<none>}"
echo "init containers: ${inits:-<none>}"
echo "NODE_OPTIONS: ${nodeOptions:-<none>}"
echo "PYTHONPATH: ${pythonPath:-<none>}"

# `injected: node,python` names the runtimes; a bare `injected` comes from a webhook older than the Python runtime.
case "$status" in
  "injected: "*) runtimes=${status#injected: } ;;
  injected) runtimes=node ;;
  *) fail "annotation otel-injector.io/status is '${status}', expected 'injected: <runtimes>' (is namespace ${TEST_NAMESPACE} labelled, and the webhook ready?)" ;;
esac
[ -n "$inits" ] || fail "no init container was added"
case ",$runtimes," in
  *,node,*)
    case "$nodeOptions" in
      *--require*) ;;
      *) fail "NODE_OPTIONS does not --require the Node payload" ;;
    esac ;;
esac
case ",$runtimes," in
  *,python,*)
    newline='
'
    firstLine=${pythonPath%%"$newline"*}
    firstEntry=${firstLine%%:*}
    case "$firstEntry" in
      /*/python) ;;
      *) fail "PYTHONPATH does not start with the payload's python folder" ;;
    esac ;;
esac
case ",$runtimes," in
  *,node,*|*,python,*) ;;
  *) fail "the status names no runtime this test knows: '${runtimes}'" ;;
esac
echo "PASS: the pod came back instrumented (${runtimes})"
