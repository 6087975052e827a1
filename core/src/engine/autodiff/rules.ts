// Gradient rules for every differentiable op, registered by op name.
import './rules-elementwise.js';
import './rules-nn.js';
import './rules-shape.js';
