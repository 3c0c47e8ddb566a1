// Use ntk-robustness in a web app: load the engine (wasm files served next to the bundle),
// fit the NTK machine of a 1-hidden-layer ReLU net on a toy 2-class set and attack it with FGSM.
import { init, arch, kernelOps, fitKernelMachine, kernelMachineModel, fgsm, decisions, mulberry32 } from 'ntk-robustness';

const base = new URL('./', import.meta.url);
// threads need a cross-origin isolated page (COOP/COEP); elsewhere the engine runs one thread
const eng = await init({
  wasmUrl: new URL('ntk.wasm', base), relaxedWasmUrl: new URL('ntk-relaxed.wasm', base),
  singleWasmUrl: new URL('ntk-single.wasm', base), workerUrl: new URL('ntk-worker.js', base),
});

// toy data: 4-pixel "images" in [0, 1]; class 1 when the first two pixels are the bright ones
const n = 40, d = 4, X = new Float64Array(n * d), Y = new Float64Array(n * 2), labels = new Int32Array(n);
const random = mulberry32(1);
for (let i = 0; i < n; i++) {
  const c = i % 2;
  for (let j = 0; j < d; j++) X[i * d + j] = ((j < 2) === (c === 1) ? 0.6 : 0.1) + 0.3 * random();
  labels[i] = c; Y[i * 2 + c] = 1;
}
const Xm = { data: X, rows: n, cols: d };
const machine = fitKernelMachine(kernelOps(arch('fc1')), Xm, { data: Y, rows: n, cols: 2 });
const model = kernelMachineModel(machine);
const clean = decisions(model.forward(Xm));
const adv = decisions(model.forward(fgsm(model, Xm, labels, { eps: 0.3 })));
const acc = (p) => p.reduce((s, v, i) => s + (v === labels[i] ? 1 : 0), 0) / n;
document.getElementById('out').textContent =
  `${eng.threads} thread(s): clean accuracy ${(100 * acc(clean)).toFixed(0)}%, under FGSM eps 0.3: ${(100 * acc(adv)).toFixed(0)}%`;
