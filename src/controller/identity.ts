// The controller's leader-election identity: the host (the pod's name) plus a random suffix made once per
// process, as client-go's and controller-runtime's leader election do (`<hostname>_<uuid>`). Unique even
// when two replicas report the same host name, and a restarted container does not take itself for the
// holder of the Lease its previous run held.
import { randomUUID } from 'node:crypto';

export function leaderIdentity(host: string, suffix: string = randomUUID()): string {
  return `${host}_${suffix}`;
}

/** The host part of an identity made by leaderIdentity (the whole text when it has no suffix). */
export function identityHost(identity: string): string {
  const cut = identity.lastIndexOf('_');
  return cut < 0 ? identity : identity.slice(0, cut);
}
