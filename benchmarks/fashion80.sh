#!/usr/bin/env bash
# CE, Co-teaching and ELR at 80 % symmetric noise on Fashion-MNIST (60,000 images, the small CNN,
# 20 epochs), seeds 0 and 1: the records behind the engine's method comparison. ~40 min on 2 cores.
#   bash benchmarks/fashion80.sh [out]      then: python benchmarks/compare_records.py <out>
set -euo pipefail
out=${1:-benchmarks/records/fashion80}
lnl=${LNL:-.venv/bin/lnl}
common=(--dataset fashion_mnist --noise symmetric --rate 0.8 --epochs 20 --out "$out")
for seed in 0 1; do
  "$lnl" run --method ce "${common[@]}" --seed "$seed"
  "$lnl" run --method elr "${common[@]}" --seed "$seed"
  # the paper's optimiser, its 200 epochs scaled to 20: Adam 1e-3, linear decay and β₁ 0.1 from epoch 8
  "$lnl" run --method coteaching "${common[@]}" --seed "$seed" --optimizer adam --lr 0.001 \
      --weight-decay 0 --schedule linear --milestones 8
done
