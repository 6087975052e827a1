import 'reflect-metadata';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import type { Constructor } from '../kernel/contribution.js';

/**
 * Composite property decorators for config classes. Each applies class-validator rules that share one
 * message, so a value failing several rules ("abc" is neither a number nor positive) reads as one problem:
 * `must be a positive number`. The JSON Schema generator reads the same class-validator metadata back.
 */

type Rule = PropertyDecorator;

function all(...rules: Rule[]): Rule {
  return (target, key) => rules.forEach((rule) => rule(target, key));
}

const FINITE = { allowNaN: false, allowInfinity: false };

export const Optional = (): Rule => IsOptional();
/** Needed on required nested sections: class-validator skips nested validation of undefined. */
export const Required = (): Rule => IsDefined({ message: 'is required' });
export const Str = (): Rule => IsString({ message: 'must be a string' });
export const NonEmptyStr = (): Rule =>
  all(IsString({ message: 'must be a non-empty string' }), IsNotEmpty({ message: 'must be a non-empty string' }));
export const Bool = (): Rule => IsBoolean({ message: 'must be true or false' });
export const Num = (): Rule => IsNumber(FINITE, { message: 'must be a number' });

export const PositiveNumber = (): Rule => {
  const message = 'must be a positive number';
  return all(IsNumber(FINITE, { message }), IsPositive({ message }));
};

export const NonNegativeNumber = (): Rule => {
  const message = 'must be a number >= 0';
  return all(IsNumber(FINITE, { message }), Min(0, { message }));
};

export const PositiveInt = (): Rule => {
  const message = 'must be a positive integer';
  return all(IsInt({ message }), Min(1, { message }));
};

export const NonNegativeInt = (): Rule => {
  const message = 'must be an integer >= 0';
  return all(IsInt({ message }), Min(0, { message }));
};

export interface RangeOptions {
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

/** A number in [min, max], either end optionally open; e.g. percent in (0, 100]. */
export function NumberRange(min: number, max: number, options: RangeOptions = {}): Rule {
  const open = options.minExclusive ? '(' : '[';
  const close = options.maxExclusive ? ')' : ']';
  const message = `must be a number in ${open}${min}, ${max}${close}`;
  return all(
    IsNumber(FINITE, { message }),
    options.minExclusive ? ExclusiveMin(min, message) : Min(min, { message }),
    options.maxExclusive ? ExclusiveMax(max, message) : Max(max, { message }),
  );
}

function ExclusiveMin(bound: number, message: string): Rule {
  const validator = { validate: (value: unknown) => typeof value === 'number' && value > bound };
  return ValidateBy({ name: 'exclusiveMin', constraints: [bound], validator }, { message });
}

function ExclusiveMax(bound: number, message: string): Rule {
  const validator = { validate: (value: unknown) => typeof value === 'number' && value < bound };
  return ValidateBy({ name: 'exclusiveMax', constraints: [bound], validator }, { message });
}

export function OneOf(values: readonly string[]): Rule {
  return IsIn([...values], { message: `must be one of ${values.map((v) => `"${v}"`).join(', ')}` });
}

export function StrList(options: { minSize?: number } = {}): Rule {
  const message = options.minSize ? `must be a list of at least ${options.minSize} string(s)` : 'must be a list of strings';
  const rules = [IsArray({ message }), IsString({ each: true, message })];
  if (options.minSize) rules.push(ArrayMinSize(options.minSize, { message }));
  return all(...rules);
}

/** A mapping with arbitrary keys and any values (quantization settings, plugin params). */
export const Mapping = (): Rule => IsObject({ message: 'must be a mapping' });

/** A mapping of strings to strings (column_mapping, max_memory). */
export function StrRecord(): Rule {
  const validator = {
    validate: (value: unknown) =>
      isPlainMapping(value) && Object.values(value).every((v) => typeof v === 'string'),
  };
  return ValidateBy({ name: 'isStringRecord', validator }, { message: 'must be a mapping of strings to strings' });
}

const NESTED_KEY = Symbol.for('aligntune.config.nested');
const DESCRIPTION_KEY = Symbol.for('aligntune.config.description');

export interface NestedInfo {
  type: () => Constructor;
  each: boolean;
}

/**
 * A nested config section (or, with `each`, a list of them): validated recursively and built with
 * class-transformer. The class is also recorded here because class-transformer keeps its @Type metadata
 * in a private store, and the key checker, override typing and JSON Schema need it.
 */
export function Nested(type: () => Constructor, options: { each?: boolean; minSize?: number } = {}): Rule {
  const each = options.each ?? false;
  const rules: Rule[] = [ValidateNested({ each }), Type(type)];
  if (each) rules.push(IsArray({ message: 'must be a list' }));
  if (options.minSize) rules.push(ArrayMinSize(options.minSize, { message: `must list at least ${options.minSize}` }));
  rules.push((target, key) => Reflect.defineMetadata(NESTED_KEY, { type, each } satisfies NestedInfo, target, key));
  return all(...rules);
}

export function getNestedInfo(cls: Constructor, key: string): NestedInfo | undefined {
  return Reflect.getMetadata(NESTED_KEY, cls.prototype as object, key) as NestedInfo | undefined;
}

/** One-line description, used by the JSON Schema (editor hover text). */
export function Describe(text: string): Rule {
  return (target, key) => Reflect.defineMetadata(DESCRIPTION_KEY, text, target, key);
}

export function getDescription(cls: Constructor, key: string): string | undefined {
  return Reflect.getMetadata(DESCRIPTION_KEY, cls.prototype as object, key) as string | undefined;
}

const EXAMPLES_KEY = Symbol.for('aligntune.config.examples');

/** Well-known values of an open id field (reward types, backends...), offered as editor completions. */
export function Examples(values: readonly string[]): Rule {
  return (target, key) => Reflect.defineMetadata(EXAMPLES_KEY, [...values], target, key);
}

export function getExamples(cls: Constructor, key: string): string[] | undefined {
  return Reflect.getMetadata(EXAMPLES_KEY, cls.prototype as object, key) as string[] | undefined;
}

export function isPlainMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
