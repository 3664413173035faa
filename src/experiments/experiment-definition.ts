import { ApiError } from '../common/api-error';
import { parseTimestamp } from '../capture/timestamp-parser';
import { EVENT_NAME_PATTERN, MAX_EVENT_NAME_LENGTH } from '../capture/event-rules';
import { MAX_CONVERSION_WINDOW_SECONDS, parseConversionWindow } from './conversion-window';
import type { ExperimentVariant } from './experiment.entity';
import { MAX_FLAG_KEY_LENGTH, MAX_VARIANT_LENGTH } from './exposure-from-event';

// Checks an experiment as a whole, after an update has been laid over the stored one, because
// the rules span fields: the control must be a declared variant, the end must follow the start.
// Each rule that fails becomes one line of a single 400, so a client fixes them all at once.

export const MAX_VARIANTS = 20;
export const MAX_NAME_LENGTH = 200;

export interface ExperimentDefinition {
  name: string;
  flagKey: string;
  variants: ExperimentVariant[];
  controlVariant: string;
  conversionEvent: string;
  startAt: Date | null;
  endAt: Date | null;
  conversionWindowSeconds: number | null;
}

// Field values as the client sent them (snake_case JSON), with unchanged fields filled in from
// the stored experiment on update.
type ExperimentField =
  | 'name'
  | 'flag_key'
  | 'variants'
  | 'control_variant'
  | 'conversion_event'
  | 'start_at'
  | 'end_at'
  | 'conversion_window';

export type ExperimentInput = Partial<Record<ExperimentField, unknown>>;

export function parseExperimentDefinition(input: ExperimentInput): ExperimentDefinition {
  const problems: string[] = [];
  const text = (field: ExperimentField, maxLength: number) =>
    boundedText(input[field], field, maxLength, problems);

  const definition: ExperimentDefinition = {
    name: text('name', MAX_NAME_LENGTH),
    flagKey: text('flag_key', MAX_FLAG_KEY_LENGTH),
    variants: parseVariants(input.variants, problems),
    controlVariant: text('control_variant', MAX_VARIANT_LENGTH),
    conversionEvent: text('conversion_event', MAX_EVENT_NAME_LENGTH),
    startAt: optionalTime(input.start_at, 'start_at', problems),
    endAt: optionalTime(input.end_at, 'end_at', problems),
    conversionWindowSeconds: optionalWindow(input.conversion_window, problems),
  };

  if (definition.conversionEvent && !EVENT_NAME_PATTERN.test(definition.conversionEvent)) {
    problems.push('conversion_event must be an event name: lowercase letters, digits, _ . $');
  }

  const keys = definition.variants.map((variant) => variant.key);

  if (definition.controlVariant && keys.length > 0 && !keys.includes(definition.controlVariant)) {
    problems.push('control_variant must be one of the variants');
  }

  if (definition.startAt && definition.endAt && definition.endAt <= definition.startAt) {
    problems.push('end_at must be later than start_at');
  }

  if (problems.length > 0) {
    throw ApiError.badRequest('invalid_experiment', problems.join('; '), problems);
  }

  return definition;
}

// Variants: 2 to 20 distinct keys, each a string or {key, weight?}; weights are all given or
// all absent, so a half-declared split cannot silently mean something else.
function parseVariants(value: unknown, problems: string[]): ExperimentVariant[] {
  if (!Array.isArray(value) || value.length < 2 || value.length > MAX_VARIANTS) {
    problems.push(`variants must be a list of 2 to ${MAX_VARIANTS} variants`);

    return [];
  }

  const variants = value.map((item: unknown) =>
    typeof item === 'string' ? { key: item } : (item as ExperimentVariant),
  );
  const wellFormed = variants.every(
    (variant) =>
      typeof variant === 'object' &&
      variant !== null &&
      isBoundedText(variant.key, MAX_VARIANT_LENGTH) &&
      Object.keys(variant).every((key) => key === 'key' || key === 'weight') &&
      (variant.weight === undefined || isPositiveNumber(variant.weight)),
  );

  if (!wellFormed) {
    problems.push(
      `each variant must be a key (1-${MAX_VARIANT_LENGTH} characters) ` +
        'or {"key", "weight"?} with a positive weight',
    );

    return [];
  }

  if (new Set(variants.map((variant) => variant.key)).size !== variants.length) {
    problems.push('variant keys must be distinct');
  }

  const weighted = variants.filter((variant) => variant.weight !== undefined).length;

  if (weighted !== 0 && weighted !== variants.length) {
    problems.push('give a weight for every variant or for none');
  }

  return variants.map((variant) =>
    variant.weight === undefined
      ? { key: variant.key }
      : { key: variant.key, weight: variant.weight },
  );
}

function boundedText(value: unknown, field: string, maxLength: number, problems: string[]): string {
  if (!isBoundedText(value, maxLength)) {
    problems.push(`${field} must be a string of 1 to ${maxLength} characters`);

    return '';
  }

  return value;
}

function optionalTime(value: unknown, field: string, problems: string[]): Date | null {
  if (value === undefined || value === null) {
    return null;
  }

  const time = parseTimestamp(value);

  if (!time) {
    problems.push(`${field} must be an ISO 8601 time or epoch milliseconds`);

    return null;
  }

  return time;
}

function optionalWindow(value: unknown, problems: string[]): number | null {
  if (value === undefined || value === null) {
    return null;
  }

  const seconds = parseConversionWindow(value);

  if (seconds === undefined) {
    problems.push(
      'conversion_window must be seconds or a count with s, m, h or d, ' +
        `from 1 s to ${MAX_CONVERSION_WINDOW_SECONDS / 86400} d`,
    );

    return null;
  }

  return seconds;
}

function isBoundedText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= maxLength;
}

function isPositiveNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
