// Label keys otel-injector reads: the well-known app labels (service name and version) and the label the
// Deployment controller puts on a ReplicaSet and its pods (owner derivation, owner.ts).
export const LABEL = Object.freeze({
  instance: 'app.kubernetes.io/instance',
  name: 'app.kubernetes.io/name',
  version: 'app.kubernetes.io/version',
  /** Set by the Deployment controller on each ReplicaSet and its pods; the ReplicaSet is named `<deployment>-<hash>`. */
  podTemplateHash: 'pod-template-hash',
});
