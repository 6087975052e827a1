// Registers every op definition (import for side effects).
import './elementwise.js';
import './matmul.js';
import './reduce.js';
import './nn.js';
import './shape-ops.js';
import './index-ops.js';
