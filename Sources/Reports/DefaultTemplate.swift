/// The built-in default report template. `Inputs/report-template.md` is a byte-identical copy that users
/// edit (a test keeps the two equal).
enum DefaultTemplate {
    static let text = #"""
<!--
  BitSweep's default report template. It is built into bitsweep; Inputs/report-template.md is a copy that
  you may edit freely (reorder, remove or add cells and prose), then run
      bitsweep report Reports/<name> --template Inputs/report-template.md
  Prose is copied into report.md, report.pdf and report.ipynb as written. Comments like this one are not.
  Placeholders in prose: {{name}} {{cases}} {{images}} {{date}} {{version}}.

  A fenced block whose info string is `bitsweep` is a cell. Its first line names the cell; the other lines
  are `option: value`. Lines starting with # inside a cell are comments.

  Cells and their options (defaults in brackets):
    table: parameters   spec: shown|folded|hidden [folded]; images: shown|folded|hidden [folded]
    table: summary      sort: index|size|blocks|precision|bitops|macs|params|weights|activations|sqnr|cosine|top1|accuracy|time;
                        order: ascending|descending [ascending]; where
    table: layers       cases; where; fold: N (fold the per-layer list when it has more than N rows) [8];
                        chart: auto|true|false [auto] (auto: a layer-wise chart per case up to 12 cases;
                        beyond that, cases are folded and one chart per network shape and mixed-precision
                        policy is drawn, and the PDF prints only those cases' block tables);
                        scale: as for chart: layerwise [log]
    table: images       cases; where
    table: failures     (no options)
    table: budget       chart: true|false [true]; fold: N [10] (hardware budgets: only when the sweep spec's
                        `budgets:` or `bitsweep report --budgets FILE` names a profiles file; the cell brings its
                        own heading, so without profiles the report has no such section at all)
    table: history      fold: N [20] (the nightly history: only when the sweep spec's `history:` or
                        `bitsweep sweep --history FILE` names a database; its own heading, else nothing)
    table: search       fold: N [20] (the mixed-precision search of the results folder's search.json — the sweep
                        spec's `search:` section, or bitsweep search --out: fronts chart, front table, uniform
                        references, best per budget; its own heading, else nothing)
    table: accuracy     where; title; width; chart: true|false [true] (labelled images only — an images folder
                        in the ImageFolder layout: top-1/top-5 of each quantized network and its float twin
                        with BitOps, and top-1 accuracy against BitOps; brings its own heading, and without
                        labels the report has no such section at all)
    chart: layerwise    cases; where; title; width; scale: log|linear|share [log] (log: the layer kinds side by
                        side on a log axis, so depthwise layers and the classifier stay visible; linear: stacked;
                        share: stacked, as shares of the total)
    chart: size         where; title; width
    chart: heatmap      where; title; width; rows: blocks|size [blocks];
                        value: bitops|macs|weights|sqnr|top1 [bitops]
    chart: cost-quality where; title; width; fidelity: sqnr|top1|cosine|top1-accuracy|top5-accuracy [sqnr];
                        budget: BitOps (2e9 or 2G)
    chart: storage      where; title; width
    chart: speedup      where; title; width (predicted speed-up — BitOps ratio to the float case of the same
                        settings — against measured speed-up — time ratio — one point per configuration,
                        marked int8 kernels or float kernels, simulated quantization; one chart per convention)
  Shared options:
    cases: all | first | last | case ids or id prefixes separated by spaces [all]
    where: key=value pairs separated by spaces; a value may list alternatives a|b.
           keys: family size blocks precision act convention width quantization kernels
    title: chart title [generated]; width: one-column|two-column [bitsweep report --figure-width, single]
  Charts with more than one group of fixed settings (say two families) draw one chart per group.
  An unknown cell, option or placeholder is an error naming this file and the line.
-->
# BitSweep report: {{name}}

{{cases}} cases over {{images}} images. Every count below is exact and comes from `results.json`; fidelity
compares each quantized network with its float twin on the same images.

## Parameters

What this report was made from, and the commands that regenerate it.

```bitsweep
table: parameters
```

## Summary

One row per case: total BitOps, MACs, parameters, weight storage and peak activation memory, with the
fidelity of the quantized network and its time per image.

```bitsweep
table: summary
```

## Cost against fidelity

Each point is one case, coloured by weight precision (mixed precision as squares). Cases on the Pareto front
of their network shape (no case of that shape is both cheaper and more faithful) are joined by a step line and
labelled with their number (#) in the summary; they are drawn filled, dominated cases hollow (an outline in
the same colour).

```bitsweep
chart: cost-quality
fidelity: sqnr
```

```bitsweep
table: budget
```

```bitsweep
table: accuracy
```

```bitsweep
table: history
```

```bitsweep
table: search
```

## BitOps by block count and precision

Total BitOps of every configuration, on a logarithmic colour scale.

```bitsweep
chart: heatmap
rows: blocks
value: bitops
```

## Fidelity by block count and precision

Mean logit SQNR against the float twin, in dB (higher is better).

```bitsweep
chart: heatmap
rows: blocks
value: sqnr
```

## BitOps against image size

BitOps grow with the number of pixels: one line per weight precision.

```bitsweep
chart: size
```

## Predicted and measured speed-up

What BitOps promise against what this CPU delivers: for each configuration, the BitOps of the float case of
the same size and blocks divided by its own (predicted), and the float case's time per image divided by its
own (measured). Only int8 kernels can be faster than float; float kernels simulate quantization.

```bitsweep
chart: speedup
where: convention=weight
```

## Weight storage

Bytes of weights to store, per block count and weight precision (independent of the image size).

```bitsweep
chart: storage
```

## Layer by layer

For each case: BitOps per block split into depthwise and pointwise convolutions, each block's share of the
total, then every layer (folded when the list is long). The charts stack depthwise and pointwise BitOps
per block.

```bitsweep
table: layers
```

## Fidelity per image

```bitsweep
table: images
```

## Failures and skipped images

```bitsweep
table: failures
```
"""#
}
