#!/usr/bin/env bash
# Regenerates every figure the README shows (`npm run figures`): each from the run of the CLI
# command the README names, copied into docs/. Long: the dynamics and transfer runs take tens
# of minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
ntk() { node dist/src/cli/main.js "$@"; }

# npm start's job: eps curve and examples
ntk attack --out runs/mnist-fc1 -q
cp runs/mnist-fc1/eps-curve.svg runs/mnist-fc1/eps-curve.png runs/mnist-fc1/examples.png docs/figures/

# the browser page (screenshot taken by its Chromium test)
node --test dist/test/demo_chromium.test.js
cp test-artifacts/demo-isolated.png docs/figures/demo.png
cp test-artifacts/demo-cifar.png docs/figures/demo-cifar.png

# ntk transfer: MNIST default run and the binary CIFAR run of the README
ntk transfer --dataset mnist --widths 100,1000,10000 --seeds 3 --epochs 60 --train 500 --test 200 --out runs/transfer/ -q
ntk transfer --dataset cifar2 --widths 100,1000,2000 --epochs 60 --out runs/transfer-cifar2/ -q
mkdir -p docs/transfer
cp runs/transfer/similarity.png docs/transfer/mnist-similarity.png
cp runs/transfer/accuracy.png docs/transfer/mnist-accuracy.png
cp runs/transfer/gradients.png docs/transfer/mnist-gradients.png
cp runs/transfer-cifar2/similarity.png docs/transfer/cifar2-similarity.png
cp runs/transfer-cifar2/accuracy.png docs/transfer/cifar2-accuracy.png

# ntk dynamics default run
ntk dynamics --out runs/dynamics -q
mkdir -p docs/figures/dynamics
cp runs/dynamics/distance-clean.png runs/dynamics/distance-prev-clean.png runs/dynamics/distance-prev-pgd.png \
  runs/dynamics/polar-pgd.png runs/dynamics/concentration-clean.png runs/dynamics/concentration-pgd.png \
  runs/dynamics/accuracy.png docs/figures/dynamics/
