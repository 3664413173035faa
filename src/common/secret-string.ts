import { inspect } from 'node:util';

/**
 * Holds a value that must never reach a log line or a response by accident: printing, JSON
 * serialising or inspecting it yields a fixed mask. Only `reveal()` gives the value back.
 */
export class SecretString {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'SecretString([redacted])';
  }
}
