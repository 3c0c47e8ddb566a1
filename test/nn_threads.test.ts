// Training results do not depend on the thread count: conv/dense GEMM tiles, conv dW slots
// and elementwise chunks are fixed by the problem size, never by which thread runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initNode, buildNet, Trainer, conv, relu, maxPool, avgPool, flatten, dense, loadDataset, asMatrix } from '../src/node.js';

test('one epoch of SGD gives bit-identical parameters on 1 and 2 threads', () => {
  const ds = loadDataset({ name: 'mnist', split: 'train', subset: { n: 120, seed: 9 } });
  const X = asMatrix(ds);
  const run = (threads: number) => {
    initNode({ threads });
    const net = buildNet([conv({ out: 8 }), relu(), maxPool(), conv({ out: 8 }), relu(), avgPool(), flatten(), dense({ out: 10 })], { input: [28, 28, 1], parameterization: 'standard', seed: 2 });
    const t = new Trainer(net, { batch: 60, lr: 0.05, momentum: 0.9, seed: 1 });
    try { t.runEpoch(X, ds.y); return net.getParams(); } finally { t.dispose(); net.dispose(); }
  };
  const one = run(1), two = run(2);
  assert.deepEqual(two, one);
});
