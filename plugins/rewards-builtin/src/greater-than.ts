import { ValidateBy } from 'class-validator';

/** Cross-field rule: this number must exceed `field`'s value (max_length > min_length). */
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
