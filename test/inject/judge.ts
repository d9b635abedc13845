// The check every admission test in this folder makes on an admitted pod: the API server would accept it.
import type { Test } from 'tap';
import { validatePod } from '../support/pod-judge.js';
import type { Obj } from '../support/admission.js';

export function judge(t: Test, pod: Obj): void {
  t.same(validatePod(pod), [], 'the API server would accept the admitted pod');
}
