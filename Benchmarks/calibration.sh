#!/bin/sh
# The README's calibration table: mean and minimum logit SQNR (dB) of the quantized network against its float
# twin over Inputs/images, with fixed, minmax and percentile:99.99 activation ranges, for the seed preset and
# MobileNetV1-224 at w8 and 4- and 6-bit activations. Run from the repository root; B is the binary.
B=${B:-.build/release/bitsweep}
for net in "--preset seed" "--preset mobilenet-v1"; do
  for a in 4 6; do
    for c in fixed minmax percentile:99.99; do
      $B infer $net --bits 8 --act-bits $a --calibrate $c --format json Inputs/images | python3 -c "
import json, sys
d = json.load(sys.stdin); s = [i['fidelity']['sqnr_db'] for i in d['images']]
print('%-22s a=%d %-16s SQNR mean %6.2f dB  min %6.2f dB' % ('$net', $a, '$c', sum(s) / len(s), min(s)))"
    done
  done
done
