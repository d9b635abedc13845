/** Errors with stable codes; the code is what logs and tests match on. */
export class InjectorError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A configuration value is missing or invalid: reported at startup, exit 1. */
export class ConfigError extends InjectorError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('CONFIG_INVALID', `${variable}: ${message}`);
  }
}

/** The HTTP body is not a usable AdmissionReview: answered with 400. */
export class BadReviewError extends InjectorError {
  constructor(message: string) {
    super('BAD_REVIEW', message);
  }
}

/** The admitted object has a shape we cannot handle: allowed untouched, with a warning. */
export class UnsupportedObjectError extends InjectorError {
  constructor(message: string) {
    super('UNSUPPORTED_OBJECT', message);
  }
}
