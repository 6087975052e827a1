import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_PATH, generateJsonSchema, renderJsonSchema, writeJsonSchema } from '@aligntune/core';

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('JSON Schema', () => {
  it('the committed configs/aligntune.schema.json is up to date', () => {
    // Regenerate with: UPDATE_JSON_SCHEMA=1 npx vitest run test/config/json-schema.test.ts
    if (process.env.UPDATE_JSON_SCHEMA) writeJsonSchema();
    const committed = readFileSync(JSON_SCHEMA_PATH, 'utf8');
    expect(committed, 'configs/aligntune.schema.json is stale: regenerate it (see this test)').toBe(renderJsonSchema());
  });

  it('is generated from the class-validator metadata', () => {
    const schema = generateJsonSchema() as Schema;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.required).toEqual(['algo', 'model', 'datasets', 'train']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.datasets).toMatchObject({ type: 'array', minItems: 1 });
    const defs = schema.definitions as Schema;
    expect(defs.ModelConfig.required).toEqual(['name_or_path']);
    expect(defs.ModelConfig.properties.precision).toMatchObject({ enum: ['auto', 'fp32', 'fp16', 'bf16'], default: 'auto' });
    expect(defs.TrainingConfig.properties.learning_rate).toMatchObject({ type: 'number', exclusiveMinimum: 0, default: 5e-5 });
    expect(defs.TrainingConfig.properties.max_steps).toMatchObject({ type: ['integer', 'null'], minimum: 1 });
    expect(defs.TrainingConfig.properties.warmup_ratio).toMatchObject({ minimum: 0, exclusiveMaximum: 1 });
    expect(defs.TrainingConfig.anyOf).toEqual([{ required: ['max_steps'] }, { required: ['epochs'] }]);
    // plugin keys (algorithm options, reward params) are allowed where they live
    expect(defs.TrainingConfig.additionalProperties).toBe(true);
    expect(defs.RewardConfig.additionalProperties).toBe(true);
    expect(defs.DatasetConfig.additionalProperties).toBe(false);
    expect(defs.DatasetConfig.properties.column_mapping).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect(schema.properties.rewards.items.anyOf[1]).toMatchObject({ type: 'string' });
    expect(defs.DatasetConfig.properties.split.description).toContain('Default "train"');
  });
});
