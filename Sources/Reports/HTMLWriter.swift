import Foundation
import Presentation
import Results

/// `report.html`: the report as one self-contained page — every chart inline (PNG `data:` URLs), the style
/// and a small script inline, nothing fetched from the network — plus an explorer: the original demo's app
/// made static.
///
/// - The same sections as `report.md`, in template order, with a table of contents of the level-1 and
///   level-2 headings. Template prose is rendered from a Markdown subset (headings, paragraphs, lists, fenced
///   code, `code`, **strong**, *emphasis*, links); it is escaped, so raw HTML in a template shows as text.
/// - Wide tables scroll inside their own box, their first column (the case) kept in view.
/// - The explorer (after the summary table, else after the first cell): one control per dimension of the
///   sweep's grid that varies (image size, blocks, weight precision, activation bits, convention, …) and an
///   image chooser. Changing them shows that case's totals, its block-by-block and layer-by-layer BitOps (a
///   table and a stacked bar chart), its fidelity, and the chosen image's top-5 classes. The data is the
///   results file's numbers, embedded as JSON (`<script type="application/json" id="explorer-data">`);
///   the script only looks them up and formats them.
public struct HTMLWriter: ReportWriter {
    public var results: ResultsSet
    public init(results: ResultsSet) { self.results = results }
    public var format: ReportFormat { .html }

    public func render(_ document: ReportDocument, figures: RenderedFigures) throws -> [String: Data] {
        [format.fileName: Data(try html(document, figures: figures).utf8)]
    }

    public func html(_ document: ReportDocument, figures: RenderedFigures) throws -> String {
        var toc = TOC()
        var body: [String] = []
        let explorerAfter = document.cells.firstIndex { if case let .output(c) = $0.kind { return c.kind == .summary } else { return false } }
            ?? document.cells.firstIndex { if case .output = $0.kind { return true } else { return false } }
        for (i, cell) in document.cells.enumerated() {
            switch cell.kind {
            case let .prose(text):
                body.append(ProseHTML.render(text, toc: &toc))
            case .output:
                body.append("<div class=\"cell\">\n" + cell.blocks.map { HTMLBlocks.block($0, figures: figures, toc: &toc) }.joined(separator: "\n") + "\n</div>")
            }
            if i == explorerAfter { body.append(explorerSection(toc: &toc)) }
        }
        if explorerAfter == nil { body.append(explorerSection(toc: &toc)) }
        return """
        <!DOCTYPE html>
        <!-- Written by `bitsweep report` from a template; edit the template, not this file. -->
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Escape.html(document.title))</title>
        <style>
        \(Self.css)
        </style>
        </head>
        <body>
        <nav id="contents" aria-label="Contents">
        <h2>Contents</h2>
        \(toc.html())
        </nav>
        <main>
        \(body.joined(separator: "\n"))
        </main>
        <script type="application/json" id="explorer-data">\(try ExplorerData.json(results))</script>
        <script>
        \(Self.script)
        </script>
        </body>
        </html>

        """
    }

    func explorerSection(toc: inout TOC) -> String {
        let id = toc.add("Explorer", level: 2)
        return """
        <section id="explorer-section">
        <h2 id="\(id)">Explorer</h2>
        <p>The original demo, from this sweep’s results: pick a configuration from the grid and an image; the \
        totals, the BitOps of every block and layer, the fidelity against the float twin and the image’s top-5 \
        classes are the numbers in <code>results.json</code>.</p>
        <form id="explorer-controls" class="controls" onsubmit="return false"></form>
        <p id="explorer-case" class="case-line"></p>
        <dl id="explorer-totals" class="totals"></dl>
        <div class="explorer-grid">
        <figure class="explorer-chart"><svg id="explorer-chart" role="img" aria-label="BitOps per block"></svg>
        <figcaption>BitOps per block, stacked: stem, depthwise, pointwise, classifier.</figcaption></figure>
        <div class="explorer-image">
        <h3 id="explorer-image-title">Image</h3>
        <dl id="explorer-fidelity" class="totals small"></dl>
        <div class="table-wrap"><table id="explorer-top5"></table></div>
        </div>
        </div>
        <div class="table-wrap"><table id="explorer-layers"></table></div>
        </section>
        """
    }

    static let css = """
    :root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --bg: #fff; --soft: #f5f6f8; --accent: #2b6cb0; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
    main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
    nav#contents { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 0; }
    nav#contents h2 { font-size: 1rem; margin: 0 0 .25rem; }
    nav#contents ol { margin: 0; padding-left: 1.25rem; columns: 2 18rem; }
    nav#contents li.l1 { list-style: none; margin-left: -1.25rem; font-weight: 600; }
    h1 { font-size: 1.8rem; margin: 1rem 0 .5rem; }
    h2 { font-size: 1.35rem; margin: 2rem 0 .5rem; padding-top: .5rem; border-top: 1px solid var(--line); }
    h3 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
    code, pre { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: .88em; }
    pre { background: var(--soft); padding: .75rem; overflow-x: auto; border-radius: 4px; }
    a { color: var(--accent); }
    .table-wrap { overflow-x: auto; width: fit-content; max-width: 100%; margin: .5rem 0 1rem; border: 1px solid var(--line); border-radius: 4px; }
    table { border-collapse: collapse; font-size: .85rem; font-variant-numeric: tabular-nums; }
    th, td { padding: .25rem .6rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
    th { background: var(--soft); position: sticky; top: 0; }
    tr > :first-child { position: sticky; left: 0; background: var(--bg); }
    tr > th:first-child { background: var(--soft); z-index: 1; }
    tbody tr:hover td { background: #eef4fb; }
    figure { margin: 1rem 0; }
    figure img { max-width: 100%; height: auto; }
    figcaption { color: var(--muted); font-size: .85rem; font-style: italic; }
    details { margin: .5rem 0; } summary { cursor: pointer; color: var(--accent); }
    #explorer-section { background: var(--soft); margin: 2rem -1rem; padding: .25rem 1rem 1rem; border-radius: 6px; }
    #explorer-section h2 { border-top: none; }
    .controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; margin: .5rem 0; }
    .controls label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
    .controls select { font-size: .95rem; padding: .2rem .3rem; min-width: 7rem; }
    .controls .fixed { font-size: .95rem; color: var(--fg); padding: .2rem 0; }
    .case-line { font-weight: 600; margin: .5rem 0; }
    .totals { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .25rem .75rem; margin: .5rem 0; }
    .totals div { background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: .3rem .5rem; }
    .totals dt { font-size: .75rem; color: var(--muted); } .totals dd { margin: 0; font-size: 1.05rem; font-variant-numeric: tabular-nums; }
    .totals.small { grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr)); }
    .explorer-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem; align-items: start; }
    .explorer-chart svg { width: 100%; height: auto; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; }
    .explorer-image h3 { margin-top: 1rem; }
    #explorer-section table { background: var(--bg); }
    #explorer-layers tr.subtotal td { font-weight: 600; background: #f0f2f5; }
    .num { text-align: right; }
    @media (max-width: 760px) { .explorer-grid { grid-template-columns: 1fr; } nav#contents ol { columns: 1; } }
    """

    /// The explorer's script: builds the controls from the embedded data, finds the case they name and shows
    /// its numbers. It computes nothing but layout.
    static let script = """
    "use strict";
    (function () {
      const data = JSON.parse(document.getElementById("explorer-data").textContent);
      const $ = (id) => document.getElementById(id);
      const group = (n) => Number.isInteger(n) ? n.toLocaleString("en-US") : String(n);
      const fixed = (x, d) => x === null || x === undefined ? "—" : x.toFixed(d).replace("-", "−");
      const kib = (bytes) => (bytes / 1024).toFixed(2);
      const esc = (s) => String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
      const state = {};
      let image = data.images.length ? data.images[0] : null;

      function control(label, id, values, onchange) {
        const l = document.createElement("label");
        l.textContent = label;
        if (values.length < 2) {
          const s = document.createElement("span");
          s.className = "fixed"; s.id = id; s.textContent = values.length ? values[0] : "—";
          l.appendChild(s);
        } else {
          const s = document.createElement("select");
          s.id = id;
          for (const v of values) s.add(new Option(v, v));
          s.addEventListener("change", () => onchange(s.value));
          l.appendChild(s);
        }
        $("explorer-controls").appendChild(l);
      }
      // The case with `key` = `value` that agrees with the most other current choices (grid order on ties).
      function pick(key, value) {
        let best = null, score = -1;
        for (const c of data.cases) {
          if (key && c.dims[key] !== value) continue;
          const s = data.dims.filter((d) => c.dims[d.key] === state[d.key]).length;
          if (s > score) { best = c; score = s; }
        }
        return best;
      }
      function show(c) {
        for (const d of data.dims) {
          state[d.key] = c.dims[d.key];
          const el = $("explorer-" + d.key);
          if (el.tagName === "SELECT") el.value = c.dims[d.key];
        }
        $("explorer-case").textContent = "Case " + c.index + " (" + c.id.slice(0, 8) + "): " + c.label;
        const t = c.totals, f = c.fidelity;
        const items = [["BitOps", group(t.bitops), "bitops"], ["MACs", group(t.macs), "macs"], ["parameters", group(t.params), "params"],
          ["weight storage (KiB)", kib(t.weight_bytes), "weights"], ["peak activations (KiB)", kib(t.peak_activation_bytes), "activations"],
          ["SQNR mean (dB)", f ? (f.sqnr_db_mean === null ? "∞" : fixed(f.sqnr_db_mean, 2)) : "—", "sqnr-mean"],
          ["SQNR min (dB)", f ? (f.sqnr_db_min === null ? "∞" : fixed(f.sqnr_db_min, 2)) : "—", "sqnr-min"],
          ["top-1 agreement (%)", f ? fixed(100 * f.top1_agreement, 1) : "—", "top1"],
          ["time (ms/image)", fixed(c.ms_per_image, 3), "time"]];
        $("explorer-totals").innerHTML = items.map(([k, v, id]) =>
          '<div><dt>' + k + '</dt><dd id="explorer-total-' + id + '">' + v + '</dd></div>').join("");
        if (c.error) $("explorer-case").textContent += " — failed: " + c.error;
        layers(c); chart(c); showImage(c);
      }
      function layers(c) {
        const head = "<thead><tr><th>layer</th><th>kind</th><th>input</th><th>output</th><th>weight/out bits</th>" +
          '<th class="num">MACs</th><th class="num">BitOps</th><th class="num">params</th></tr></thead>';
        const rows = [];
        for (const l of c.layers) {
          rows.push("<tr><td>" + esc(l.name) + "</td><td>" + l.kind + "</td><td>" + l.input + "</td><td>" + l.output +
            "</td><td>" + l.bits + '</td><td class="num">' + group(l.macs) + '</td><td class="num">' + group(l.bitops) +
            '</td><td class="num">' + group(l.params) + "</td></tr>");
          const b = c.blocks.find((b) => b.block === l.block);
          const next = c.layers[c.layers.indexOf(l) + 1];
          if (b && (!next || next.block !== l.block)) {
            rows.push('<tr class="subtotal"><td>block ' + b.block + ' total</td><td></td><td></td><td></td><td></td><td class="num">' +
              group(b.macs) + '</td><td class="num">' + group(b.bitops) + '</td><td class="num">' + group(b.params) + "</td></tr>");
          }
        }
        rows.push('<tr class="subtotal"><td>total</td><td></td><td></td><td></td><td></td><td class="num">' + group(c.totals.macs) +
          '</td><td class="num" id="explorer-layers-total">' + group(c.totals.bitops) + '</td><td class="num">' + group(c.totals.params) + "</td></tr>");
        $("explorer-layers").innerHTML = head + "<tbody>" + rows.join("") + "</tbody>";
      }
      function chart(c) {
        const colors = { stem: "#7f7f7f", depthwise: "#4c9be8", pointwise: "#f28e2b", linear: "#59a14f", conv: "#7f7f7f" };
        const bars = [];
        for (const l of c.layers) {
          const name = l.block === null ? (l.kind === "linear" ? "FC" : l.name) : "B" + l.block;
          let bar = bars.find((b) => b.name === name);
          if (!bar) { bar = { name: name, parts: [] }; bars.push(bar); }
          bar.parts.push([l.kind, l.bitops]);
        }
        const top = Math.max(1, ...bars.map((b) => b.parts.reduce((s, p) => s + p[1], 0)));
        const W = 560, H = 260, L = 62, B = 30, T = 12, step = (W - L - 10) / bars.length, bw = Math.min(48, step * 0.7);
        let svg = "";
        for (let i = 0; i <= 4; i++) {
          const y = T + (H - T - B) * (1 - i / 4), v = top * i / 4;
          svg += '<line x1="' + L + '" x2="' + (W - 10) + '" y1="' + y + '" y2="' + y + '" stroke="#e3e5e8"/>' +
            '<text x="' + (L - 6) + '" y="' + (y + 4) + '" text-anchor="end" font-size="11" fill="#5f6368">' +
            (v >= 1e9 ? (v / 1e9).toFixed(2) + " G" : v >= 1e6 ? (v / 1e6).toFixed(1) + " M" : v >= 1e3 ? (v / 1e3).toFixed(0) + " k" : v.toFixed(0)) + "</text>";
        }
        bars.forEach((b, i) => {
          let y = H - B;
          const x = L + step * i + (step - bw) / 2;
          for (const [kind, v] of b.parts) {
            const h = (H - T - B) * v / top;
            y -= h;
            svg += '<rect x="' + x + '" y="' + y + '" width="' + bw + '" height="' + h + '" fill="' + (colors[kind] || "#999") +
              '"><title>' + b.name + " " + kind + ": " + group(v) + " BitOps</title></rect>";
          }
          svg += '<text x="' + (x + bw / 2) + '" y="' + (H - B + 16) + '" text-anchor="middle" font-size="11">' + esc(b.name) + "</text>";
        });
        const legend = [["depthwise", colors.depthwise], ["pointwise", colors.pointwise], ["stem", colors.stem], ["classifier", colors.linear]];
        legend.forEach(([k, col], i) => {
          svg += '<rect x="' + (L + 10 + i * 90) + '" y="' + (H - 9) + '" width="10" height="10" fill="' + col + '"/>' +
            '<text x="' + (L + 24 + i * 90) + '" y="' + H + '" font-size="11">' + k + "</text>";
        });
        const el = $("explorer-chart");
        el.setAttribute("viewBox", "0 0 " + W + " " + (H + 4));
        el.innerHTML = svg;
      }
      function showImage(c) {
        const r = c.images.find((x) => x.file === image);
        $("explorer-image-title").textContent = image ? "Image: " + image : "No image";
        if (!r) {
          $("explorer-fidelity").innerHTML = "<div><dt>fidelity</dt><dd>not run for this case</dd></div>";
          $("explorer-top5").innerHTML = "";
          return;
        }
        $("explorer-fidelity").innerHTML = [["SQNR (dB)", r.sqnr_db === null ? "∞" : fixed(r.sqnr_db, 2), "sqnr"],
          ["cosine", fixed(r.cosine, 5), "cosine"], ["top-1 as float twin", r.top1_agree ? "yes" : "no", "agree"]]
          .map(([k, v, id]) => '<div><dt>' + k + '</dt><dd id="explorer-image-' + id + '">' + v + "</dd></div>").join("");
        $("explorer-top5").innerHTML = '<thead><tr><th>rank</th><th class="num">class</th><th class="num">logit</th></tr></thead><tbody>' +
          r.top5.map((k, i) => "<tr><td>" + (i + 1) + '</td><td class="num">' + k + '</td><td class="num">' + fixed(r.scores[i], 4) + "</td></tr>").join("") +
          "</tbody>";
      }
      for (const d of data.dims) control(d.label, "explorer-" + d.key, d.values, (v) => show(pick(d.key, v)));
      control("image", "explorer-image", data.images, (v) => { image = v; show(pick(null, null)); });
      for (const d of data.dims) state[d.key] = d.values[0];
      if (data.cases.length) show(pick(null, null));
    })();
    """
}

/// The explorer's data: the results file's numbers per case, as the page's script reads them.
enum ExplorerData {
    struct Dim: Encodable { var key: String; var label: String; var values: [String] }
    struct Totals: Encodable {
        var bitops, macs, params: Int
        var weight_bytes, peak_activation_bytes: Int
    }
    struct Fidelity: Encodable {
        var sqnr_db_mean, sqnr_db_min: Double?
        var cosine_mean: Double
        var top1_agreement: Double
        enum CodingKeys: String, CodingKey { case sqnr_db_mean, sqnr_db_min, cosine_mean, top1_agreement }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sqnr_db_mean, forKey: .sqnr_db_mean)   // null (exact) is written, not left out
            try c.encode(sqnr_db_min, forKey: .sqnr_db_min)
            try c.encode(cosine_mean, forKey: .cosine_mean)
            try c.encode(top1_agreement, forKey: .top1_agreement)
        }
    }
    struct Layer: Encodable {
        var name, kind, input, output, bits: String
        var block: Int?
        var macs, bitops, params: Int
        enum CodingKeys: String, CodingKey { case name, kind, input, output, bits, block, macs, bitops, params }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name); try c.encode(kind, forKey: .kind); try c.encode(input, forKey: .input)
            try c.encode(output, forKey: .output); try c.encode(bits, forKey: .bits); try c.encode(block, forKey: .block)
            try c.encode(macs, forKey: .macs); try c.encode(bitops, forKey: .bitops); try c.encode(params, forKey: .params)
        }
    }
    struct BlockTotal: Encodable { var block, macs, bitops, params: Int }
    struct Image: Encodable {
        var file: String
        var top5: [Int]
        /// The quantized network's logits of the top-5 classes (looked up in the stored logits; null when a
        /// class has no stored logit).
        var scores: [Double?]
        var sqnr_db: Double?
        var cosine: Double
        var top1_agree: Bool
        enum CodingKeys: String, CodingKey { case file, top5, scores, sqnr_db, cosine, top1_agree }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(file, forKey: .file); try c.encode(top5, forKey: .top5); try c.encode(scores, forKey: .scores)
            try c.encode(sqnr_db, forKey: .sqnr_db); try c.encode(cosine, forKey: .cosine); try c.encode(top1_agree, forKey: .top1_agree)
        }
    }
    struct Case: Encodable {
        var index: Int
        var id: String
        var label: String
        var dims: [String: String]
        var totals: Totals
        var blocks: [BlockTotal]
        var layers: [Layer]
        var fidelity: Fidelity?
        var ms_per_image: Double?
        var error: String?
        var images: [Image]
        enum CodingKeys: String, CodingKey { case index, id, label, dims, totals, blocks, layers, fidelity, ms_per_image, error, images }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index); try c.encode(id, forKey: .id); try c.encode(label, forKey: .label)
            try c.encode(dims, forKey: .dims); try c.encode(totals, forKey: .totals); try c.encode(blocks, forKey: .blocks)
            try c.encode(layers, forKey: .layers); try c.encode(fidelity, forKey: .fidelity)
            try c.encode(ms_per_image, forKey: .ms_per_image); try c.encode(error, forKey: .error); try c.encode(images, forKey: .images)
        }
    }
    struct Root: Encodable { var dims: [Dim]; var images: [String]; var cases: [Case] }

    /// The dimensions a control is shown for, in this order, with their labels. Every dimension of the grid
    /// that varies gets a control; image size, blocks and precision always show (fixed when they do not vary).
    static let dimensions: [(key: String, label: String, always: Bool)] = [
        ("family", "network", false), ("size", "image size (px)", true), ("blocks", "blocks", true),
        ("precision", "weight bits", true), ("act", "activation bits", true), ("convention", "BitOps convention", true),
        ("width", "width", false), ("quantization", "quantization", false),
    ]

    static func root(_ results: ResultsSet) -> Root {
        let cases = results.cases
        var dims: [Dim] = []
        for d in dimensions {
            var values: [String] = []
            for c in cases {
                let v = CaseSelector.value(of: d.key, in: c.config)
                if !values.contains(v) { values.append(v) }
            }
            if d.key == "size" || d.key == "blocks" { values.sort { (Int($0) ?? 0) < (Int($1) ?? 0) } }
            if d.always || values.count > 1 { dims.append(Dim(key: d.key, label: d.label, values: values)) }
        }
        var images: [String] = []
        for c in cases { for i in c.images where !images.contains(i.file) { images.append(i.file) } }
        images.sort()
        let out = cases.map { c -> Case in
            let t = c.cost.totals
            var dimValues: [String: String] = [:]
            for d in dims { dimValues[d.key] = CaseSelector.value(of: d.key, in: c.config) }
            return Case(
                index: c.index, id: c.id, label: c.config.label, dims: dimValues,
                totals: Totals(bitops: t.bitops, macs: t.macs, params: t.params, weight_bytes: t.weightStorageBytes,
                               peak_activation_bytes: t.peakActivationBytes),
                blocks: c.cost.blocks.map { BlockTotal(block: $0.block, macs: $0.totals.macs, bitops: $0.totals.bitops, params: $0.totals.params) },
                layers: c.cost.layers.map { l in
                    Layer(name: l.name, kind: l.kind.rawValue, input: l.inputShape.description, output: l.outputShape.description,
                          bits: "\(l.weightBits)/\(l.outputBits)", block: l.block, macs: l.macs, bitops: l.bitops, params: l.params)
                },
                fidelity: c.fidelity.flatMap { f in
                    f.images > 0 ? Fidelity(sqnr_db_mean: f.sqnrDBMean, sqnr_db_min: f.sqnrDBMin, cosine_mean: f.cosineMean,
                                            top1_agreement: f.top1Agreement) : nil
                },
                ms_per_image: c.timings?.msPerImage, error: c.error,
                images: c.images.map { i in
                    Image(file: i.file, top5: i.top5, scores: i.top5.map { $0 >= 0 && $0 < i.logits.count ? i.logits[$0] : nil },
                          sqnr_db: i.sqnrDB, cosine: i.cosine, top1_agree: i.top1Agree)
                })
        }
        return Root(dims: dims, images: images, cases: out)
    }

    /// The data as JSON safe inside a `<script>` element (`<`, `>` and `&` escaped).
    static func json(_ results: ResultsSet) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let text = String(decoding: try enc.encode(root(results)), as: UTF8.self)
        return text.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }
}

/// Generated blocks as HTML with every chart inline (a PNG `data:` URL), for pages that must stand alone.
enum HTMLBlocks {
    static func block(_ b: Block, figures: RenderedFigures) -> String {
        var toc = TOC()
        return block(b, figures: figures, toc: &toc)
    }

    static func block(_ b: Block, figures: RenderedFigures, toc: inout TOC) -> String {
        switch b {
        case let .heading(level, text):
            let l = max(1, min(level, 6))
            return "<h\(l) id=\"\(toc.add(text, level: l))\">\(Escape.html(text))</h\(l)>"
        case let .table(t):
            return "<div class=\"table-wrap\">\n" + HTMLRender.table(t) + "\n</div>"
        case let .figure(f):
            return figure(f, png: figures.png[f.fileStem])
        case let .details(summary, blocks, _):
            return "<details>\n<summary>\(Escape.html(summary))</summary>\n"
                + blocks.map { block($0, figures: figures, toc: &toc) }.joined(separator: "\n") + "\n</details>"
        default:
            return HTMLRender.block(b)
        }
    }

    static func figure(_ f: Figure, png: Data?) -> String {
        let src = png.map { "data:image/png;base64," + $0.base64EncodedString() } ?? f.pngPath
        return "<figure><img src=\"\(src)\" alt=\"\(Escape.html(f.caption))\"><figcaption>\(Escape.html(f.caption))</figcaption></figure>"
    }
}

/// The table of contents: level-1 and level-2 headings, each with a unique id.
struct TOC {
    var entries: [(id: String, text: String, level: Int)] = []
    var used: Set<String> = []

    /// Registers a heading; returns its id (level 3 and below get an id but no entry).
    mutating func add(_ text: String, level: Int) -> String {
        var slug = text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? String($0) : "-" }.joined()
        while slug.contains("--") { slug = slug.replacingOccurrences(of: "--", with: "-") }
        slug = slug.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        if slug.isEmpty { slug = "section" }
        var id = slug, n = 1
        while used.contains(id) { n += 1; id = "\(slug)-\(n)" }
        used.insert(id)
        if level <= 2 { entries.append((id, text, level)) }
        return id
    }

    func html() -> String {
        "<ol>\n" + entries.map { "<li class=\"l\($0.level)\"><a href=\"#\($0.id)\">\(Escape.html($0.text))</a></li>" }.joined(separator: "\n") + "\n</ol>"
    }
}

/// Template prose (Markdown) as HTML: headings, paragraphs, `-`/`*`/`1.` lists, fenced code, and inline
/// `code`, **strong**, *emphasis*, [links](url). Everything else is text, escaped.
enum ProseHTML {
    static func render(_ text: String, toc: inout TOC) -> String {
        var out: [String] = []
        var para: [String] = []
        var list: (ordered: Bool, items: [String])? = nil
        func flushPara() { if !para.isEmpty { out.append("<p>" + inline(para.joined(separator: " ")) + "</p>"); para = [] } }
        func flushList() {
            if let l = list {
                let tag = l.ordered ? "ol" : "ul"
                out.append("<\(tag)>" + l.items.map { "<li>" + inline($0) + "</li>" }.joined() + "</\(tag)>")
                list = nil
            }
        }
        var lines = text.components(separatedBy: "\n")[...]
        while let line = lines.popFirst() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("```") || t.hasPrefix("~~~") {
                flushPara(); flushList()
                let fence = String(t.prefix(3))
                var code: [String] = []
                while let l = lines.popFirst(), !l.trimmingCharacters(in: .whitespaces).hasPrefix(fence) { code.append(l) }
                out.append("<pre><code>" + Escape.html(code.joined(separator: "\n"), keepNewlines: true) + "</code></pre>")
            } else if t.isEmpty {
                flushPara(); flushList()
            } else if let hashes = t.firstIndex(where: { $0 != "#" }), t.hasPrefix("#"), t[hashes] == " ", t.distance(from: t.startIndex, to: hashes) <= 6 {
                flushPara(); flushList()
                let level = t.distance(from: t.startIndex, to: hashes)
                let title = t[hashes...].trimmingCharacters(in: .whitespaces)
                out.append("<h\(level) id=\"\(toc.add(plain(title), level: level))\">\(inline(title))</h\(level)>")
            } else if let item = listItem(t) {
                flushPara()
                if list == nil || list!.ordered != item.ordered { flushList(); list = (item.ordered, []) }
                list!.items.append(item.text)
            } else if list != nil, line.hasPrefix("  ") {
                list!.items[list!.items.count - 1] += " " + t
            } else {
                flushList()
                para.append(t)
            }
        }
        flushPara(); flushList()
        return out.joined(separator: "\n")
    }

    static func listItem(_ t: String) -> (ordered: Bool, text: String)? {
        if t.hasPrefix("- ") || t.hasPrefix("* ") { return (false, String(t.dropFirst(2))) }
        let digits = t.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, t.dropFirst(digits.count).hasPrefix(". ") { return (true, String(t.dropFirst(digits.count + 2))) }
        return nil
    }

    /// Heading text without its Markdown marks (for the contents).
    static func plain(_ s: String) -> String {
        s.replacingOccurrences(of: "`", with: "").replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "*", with: "")
    }

    /// Inline Markdown: code spans first (their text is literal), then links, strong and emphasis.
    static func inline(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let tick = rest.firstIndex(of: "`") {
            out += emphasis(String(rest[..<tick]))
            let after = rest[rest.index(after: tick)...]
            guard let close = after.firstIndex(of: "`") else { out += Escape.html(String(rest[tick...])); rest = ""; break }
            out += "<code>" + Escape.html(String(after[..<close])) + "</code>"
            rest = after[after.index(after: close)...]
        }
        return out + emphasis(String(rest))
    }

    static func emphasis(_ s: String) -> String {
        var html = Escape.html(s)
        html = html.replacingOccurrences(of: #"\[([^\]]+)\]\(((?:https?://)?[^):\s]+)\)"#, with: "<a href=\"$2\">$1</a>", options: .regularExpression)
        html = html.replacingOccurrences(of: #"\*\*([^*]+)\*\*"#, with: "<strong>$1</strong>", options: .regularExpression)
        html = html.replacingOccurrences(of: #"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])"#, with: "<em>$1</em>", options: .regularExpression)
        html = html.replacingOccurrences(of: #"(?<![\w_])_([^_\s][^_]*)_(?![\w_])"#, with: "<em>$1</em>", options: .regularExpression)
        return html
    }
}
