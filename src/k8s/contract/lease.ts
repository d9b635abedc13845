// The controller's leader-election Lease: named after the release's MutatingWebhookConfiguration, in the
// webhook's namespace. The chart sets CONTROLLER_LEASE_NAME to this name (test/chart/kube-contract.test.ts
// checks the two agree) and `otel-injector status` finds the Lease from the webhook configuration by it.

/** `<webhook configuration name>-controller` (the chart's fullname is at most 52 characters, so this stays within 63). */
export function controllerLeaseName(webhookConfigName: string): string {
  return `${webhookConfigName}-controller`;
}
