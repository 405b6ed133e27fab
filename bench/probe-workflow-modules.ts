// What a new workflow costs in module instances, for the workflow bundle and the bench's bare one:
//   npx tsx bench/probe-workflow-modules.ts [workflows=200]
// The SDK's reusable V8 context (1.24) shares the modules its bootstrap loads and gives each workflow
// its own instance of every other module of the bundle (webpack's module cache, routed per workflow:
// @temporalio/worker lib/workflow/reusable-vm.js). This loads a bundle the same way, then evaluates
// the workflows' modules again for each of N workflows, as each workflow's creation does, and reports
// how many modules that is, the heap they keep, and the time it takes. Run with --expose-gc for the
// heap figure: NODE_OPTIONS=--expose-gc npx tsx bench/probe-workflow-modules.ts
import path from 'node:path';
import vm from 'node:vm';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';

async function probe(name: string, workflowsPath: string, n: number) {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
  const shared = new Map<PropertyKey, unknown>();
  let perWorkflow: Map<PropertyKey, unknown> | null = null;
  const cache = new Proxy(
    {},
    {
      get: (_, key) => shared.get(key) ?? perWorkflow?.get(key),
      set: (_, key, value) => ((perWorkflow ?? shared).set(key, value), true),
    },
  );
  Object.defineProperty(context, '__webpack_module_cache__', { value: cache });
  vm.runInContext(code, context);
  vm.runInContext('__TEMPORAL__.preloadModules?.()', context);

  const kept: Array<Map<PropertyKey, unknown>> = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    perWorkflow = new Map();
    vm.runInContext('__TEMPORAL__.importWorkflows()', context);
    kept.push(perWorkflow);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  gc?.();
  const kb = (process.memoryUsage().heapUsed - heapBefore) / n / 1024;
  const first = [...kept[0]!.keys()].map(String);
  const packages = new Set(first.map((id) => id.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? 'ours'));
  console.log(
    `${name}: ${shared.size} modules shared; ${first.length} evaluated again per workflow (${[...packages].join(', ')}): ` +
      `${(ms / n).toFixed(3)} ms and ${gc ? `${kb.toFixed(1)} KB` : 'heap not measured (no --expose-gc)'} per workflow, over ${n}`,
  );
}

async function main() {
  const n = Number(process.argv[2] ?? 200);
  await probe('workflows/', path.resolve(__dirname, '../workflows'), n);
  await probe('bench/bare/', path.resolve(__dirname, 'bare/workflow.ts'), n);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
