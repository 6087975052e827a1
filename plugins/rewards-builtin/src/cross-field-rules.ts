import { ValidateBy } from 'class-validator';

/** Cross-field rules of params classes. This number must exceed `field`'s value (max_length > min_length). */
export function GreaterThan(field: string): PropertyDecorator {
  return ValidateBy(
    {
      name: 'greaterThan',
      constraints: [field],
      validator: {
        validate: (value: unknown, args) => {
          const other = (args?.object as Record<string, unknown> | undefined)?.[field];
          return typeof value !== 'number' || typeof other !== 'number' || value > other;
        },
      },
    },
    { message: `must be greater than ${field}` },
  );
}

/** A second name for `field` (the seed's name): when both are given they must agree. */
export function SameAs(field: string): PropertyDecorator {
  return ValidateBy(
    {
      name: 'sameAs',
      constraints: [field],
      validator: {
        validate: (value: unknown, args) => {
          const other = (args?.object as Record<string, unknown> | undefined)?.[field];
          return value == null || other == null || value === other;
        },
      },
    },
    { message: `names the same setting as ${field}, which is set to another value: set one of them` },
  );
}
