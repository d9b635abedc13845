// Label keys otel-injector reads: the well-known app labels (service name and version), the label the
// Deployment controller puts on a ReplicaSet and its pods (owner derivation, owner.ts), and the default
// namespace opt-in label; the label that keeps the webhook's own pods away from it.
export const LABEL = Object.freeze({
  instance: 'app.kubernetes.io/instance',
  name: 'app.kubernetes.io/name',
  version: 'app.kubernetes.io/version',
  /** Set by the Deployment controller on each ReplicaSet and its pods; the ReplicaSet is named `<deployment>-<hash>`. */
  podTemplateHash: 'pod-template-hash',
  /** On the webhook's own pods (`webhook`): the chart's objectSelector never sends them to the webhook. */
  component: 'otel-injector.io/component',
});

/** The namespace label that opts a namespace in, by default (the chart's namespaceSelector.labelKey/labelValue). */
export const NAMESPACE_OPT_IN = Object.freeze({ key: 'otel-injector.io/inject', value: 'enabled' });
