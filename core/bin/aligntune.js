#!/usr/bin/env node
// The `aligntune` command. The CLI is compiled to dist/ by `npm ci` (the workspace's prepare script).
import '../dist/cli/main.js';
