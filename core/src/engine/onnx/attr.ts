import type { OnnxAttributeValue } from './onnx-model.js';

/** Shorthands for ONNX attribute values. */
export const attr = {
  int: (value: number): OnnxAttributeValue => ({ type: 'int', value }),
  ints: (value: readonly number[]): OnnxAttributeValue => ({ type: 'ints', value: [...value] }),
  float: (value: number): OnnxAttributeValue => ({ type: 'float', value }),
  string: (value: string): OnnxAttributeValue => ({ type: 'string', value }),
};
