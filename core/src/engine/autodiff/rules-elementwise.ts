import type { Graph } from '../ir/graph.js';
import type { Node, Tensor } from '../ir/tensor.js';
import { isFloat } from '../ops/elementwise.js';
import { defineGrad } from './grad-registry.js';
import { sumToShape } from './sum-to-shape.js';

type Unary = (g: Graph, x: Tensor, y: Tensor, dy: Tensor, node: Node) => Tensor;

/** Registers a unary rule: d(x) = f(x, y, dy). */
function unary(op: string, f: Unary): void {
  defineGrad(op, (g, node, [dy]) => [dy ? f(g, node.inputs[0], node.outputs[0], dy, node) : undefined]);
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

unary('Neg', (g, _x, _y, dy) => g.neg(dy));
unary('Identity', (_g, _x, _y, dy) => dy);
unary('Abs', (g, x, _y, dy) => g.mul(dy, g.sub(g.cast(g.greater(x, 0), x.dtype), g.cast(g.less(x, 0), x.dtype))));
unary('Sqrt', (g, _x, y, dy) => g.div(g.mul(dy, 0.5), y));
unary('Reciprocal', (g, _x, y, dy) => g.neg(g.mul(dy, g.mul(y, y))));
unary('Exp', (g, _x, y, dy) => g.mul(dy, y));
unary('Log', (g, x, _y, dy) => g.div(dy, x));
unary('Tanh', (g, _x, y, dy) => g.mul(dy, g.sub(1, g.mul(y, y))));
unary('Sigmoid', (g, _x, y, dy) => g.mul(dy, g.mul(y, g.sub(1, y))));
unary('Relu', (g, _x, y, dy) => g.where(g.greater(y, 0), dy, 0));
unary('Softplus', (g, x, _y, dy) => g.mul(dy, g.sigmoid(x)));
unary('Sin', (g, x, _y, dy) => g.mul(dy, g.cos(x)));
unary('Cos', (g, x, _y, dy) => g.neg(g.mul(dy, g.sin(x))));
unary('Gelu', (g, x, _y, dy) => {
  // gelu(x) = 0.5·x·(1 + tanh(u)) = x·σ(2u), u = c·(x + a·x³). With s = σ(2u) and k = 2u' = 2c(1 + 3a·x²):
  //   gelu'(x) = s + x·s·(1 − s)·k = s·(1 + x·k·(1 − s)).
  // 13 elementwise passes over x's shape (the tanh form took 18); each pass over an MLP activation
  // is a full memory sweep, so the count matters more than the flops.
  const x2 = g.mul(x, x);
  const s = g.sigmoid(g.mul(x, g.add(g.mul(x2, 2 * GELU_A * GELU_C), 2 * GELU_C)));
  const xk = g.mul(x, g.add(g.mul(x2, 6 * GELU_A * GELU_C), 2 * GELU_C));
  return g.mul(dy, g.mul(s, g.add(g.mul(xk, g.sub(1, s)), 1)));
});
unary('Clip', (g, x, _y, dy, node) => {
  const lo = node.attrs.min;
  const hi = node.attrs.max;
  let keep: Tensor | undefined;
  if (typeof lo === 'number') keep = g.greaterOrEqual(x, lo);
  if (typeof hi === 'number') keep = keep ? g.and(keep, g.lessOrEqual(x, hi)) : g.lessOrEqual(x, hi);
  return keep ? g.where(keep, dy, 0) : dy;
});
defineGrad('Cast', (g, node, [dy]) => {
  const x = node.inputs[0];
  return [dy && isFloat(x.dtype) ? g.cast(dy, x.dtype) : undefined];
});

/** Registers a binary rule whose raw (broadcast-shaped) gradients are reduced to each input's shape. */
function binary(op: string, fa: (g: Graph, a: Tensor, b: Tensor, y: Tensor, dy: Tensor) => Tensor, fb: (g: Graph, a: Tensor, b: Tensor, y: Tensor, dy: Tensor) => Tensor): void {
  defineGrad(op, (g, node, [dy], needs) => {
    if (!dy) return [undefined, undefined];
    const [a, b] = node.inputs;
    const y = node.outputs[0];
    return [
      needs[0] ? sumToShape(g, fa(g, a, b, y, dy), a.shape) : undefined,
      needs[1] ? sumToShape(g, fb(g, a, b, y, dy), b.shape) : undefined,
    ];
  });
}

binary('Add', (_g, _a, _b, _y, dy) => dy, (_g, _a, _b, _y, dy) => dy);
binary('Sub', (_g, _a, _b, _y, dy) => dy, (g, _a, _b, _y, dy) => g.neg(dy));
binary('Mul', (g, _a, b, _y, dy) => g.mul(dy, b), (g, a, _b, _y, dy) => g.mul(dy, a));
binary('Div', (g, _a, b, _y, dy) => g.div(dy, b), (g, _a, b, y, dy) => g.neg(g.div(g.mul(dy, y), b)));
binary(
  'Pow',
  (g, a, b, _y, dy) => g.mul(dy, g.mul(b, g.pow(a, g.sub(b, 1)))),
  (g, a, _b, y, dy) => g.mul(dy, g.mul(y, g.log(a))),
);
/** torch.maximum/minimum: ties share the gradient equally. */
function pick(g: Graph, win: Tensor, tie: Tensor, dy: Tensor): Tensor {
  return g.mul(dy, g.add(g.cast(win, dy.dtype), g.mul(g.cast(tie, dy.dtype), 0.5)));
}
binary('Max', (g, a, b, _y, dy) => pick(g, g.greater(a, b), g.equal(a, b), dy), (g, a, b, _y, dy) => pick(g, g.greater(b, a), g.equal(a, b), dy));
binary('Min', (g, a, b, _y, dy) => pick(g, g.less(a, b), g.equal(a, b), dy), (g, a, b, _y, dy) => pick(g, g.less(b, a), g.equal(a, b), dy));

defineGrad('Where', (g, node, [dy], needs) => {
  if (!dy) return [];
  const [c, a, b] = node.inputs;
  return [
    undefined,
    needs[1] ? sumToShape(g, g.where(c, dy, 0), a.shape) : undefined,
    needs[2] ? sumToShape(g, g.where(c, 0, dy), b.shape) : undefined,
  ];
});
