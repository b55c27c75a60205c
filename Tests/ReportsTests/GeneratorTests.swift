import BitOpsCore
import Foundation
import Results
import Testing
@testable import Reports

/// The whole pipeline on a results folder on disk: files written, figures named by case, determinism.
@Suite struct GeneratorTests {
    /// `BITSWEEP_REPORT_LOOK=/some/dir` also writes the fixture report there, to look at by eye.
    @Test func writesEveryOutputIntoTheFolder() throws {
        let dir = try Fixture.writeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let formats = ReportFormat.allCases
        let out = try ReportGenerator.generate(resultsDir: dir, outputs: formats)
        for name in ["report.md", "report.pdf", "report.ipynb", "tables.tex", "summary.csv"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + name), "\(name) missing")
        }
        // One layer-wise chart per case, named by its settings, as PDF, SVG and PNG.
        let set = try Fixture.results()
        for c in set.cases {
            let stem = "layerwise_size\(c.config.size)_blocks\(c.config.blocks)_w\(c.config.weightPrecision)_act32"
            for ext in ["pdf", "svg", "png"] {
                #expect(FileManager.default.fileExists(atPath: "\(dir)/figures/\(stem).\(ext)"), "\(stem).\(ext)")
            }
        }
        #expect(out.files.allSatisfy { $0.hasPrefix(dir + "/") })
        // No temporary files left behind.
        let all = try FileManager.default.subpathsOfDirectory(atPath: dir)
        #expect(!all.contains { $0.contains(".tmp-") })
        if let look = ProcessInfo.processInfo.environment["BITSWEEP_REPORT_LOOK"] {
            try ReportGenerator.generate(resultsDir: dir, outputs: ReportFormat.allCases, outDir: look)
            try ReportGenerator.generate(resultsDir: dir, outputs: [.md, .ipynb, .tex], outDir: look + "2")
        }
    }

    @Test func sameResultsGiveIdenticalBytes() throws {
        let dir = try Fixture.writeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = NSTemporaryDirectory() + "bsr-a-\(UUID().uuidString)", b = NSTemporaryDirectory() + "bsr-b-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        try ReportGenerator.generate(resultsDir: dir, outputs: [.md, .ipynb, .tex], outDir: a, command: ["bitsweep", "report", "x"])
        try ReportGenerator.generate(resultsDir: dir, outputs: [.md, .ipynb, .tex], outDir: b, command: ["bitsweep", "report", "x"])
        let files = try FileManager.default.subpathsOfDirectory(atPath: a).sorted()
        #expect(files == (try FileManager.default.subpathsOfDirectory(atPath: b).sorted()))
        #expect(files.contains { $0.hasSuffix(".svg") })
        // (Figure PDFs, like report.pdf, carry their creation date.)
        for f in files where !f.hasSuffix("figures") && !f.hasSuffix(".pdf") {
            #expect(FileManager.default.contents(atPath: a + "/" + f) == FileManager.default.contents(atPath: b + "/" + f), "\(f) differs")
        }
    }

    @Test func staleChartsOfAnEarlierReportAreRemovedOthersKept() throws {
        let dir = try Fixture.writeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/figures", withIntermediateDirectories: true)
        for name in ["layerwise-0000dead.svg", "heatmap-bitops-00.png", "my-notes.svg", "layerwise-keep.txt"] {
            try "x".write(toFile: dir + "/figures/" + name, atomically: true, encoding: .utf8)
        }
        try ReportGenerator.generate(resultsDir: dir, outputs: [.md])
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir + "/figures"))
        #expect(!left.contains("layerwise-0000dead.svg"))
        #expect(!left.contains("heatmap-bitops-00.png"))
        #expect(left.contains("my-notes.svg"))
        #expect(left.contains("layerwise-keep.txt"))
        #expect(left.contains(FileNames.name("layerwise", case: try Fixture.results().cases[0]) + ".svg"))
    }

    /// More cases than `CellExecutor.foldCasesAbove`: every case is folded, charts are drawn for one case per
    /// network shape (these cases are all uniform precision), and the PDF prints only those cases' block
    /// tables and leaves the per-layer lists out.
    @Test func manyCasesAreFoldedWithOneChartPerShape() throws {
        var set = try Fixture.results()
        var more = set.cases
        for c in set.cases { var d = c; d.index += set.cases.count; d.id = "b" + c.id.dropFirst(); more.append(d) }
        set = ResultsSet(name: "many", cases: more, skippedImages: [])
        #expect(set.cases.count > CellExecutor.foldCasesAbove)
        let ex = CellExecutor(results: set, run: nil, resultsDirLabel: "r", templateLabel: "t", reportCommand: ["bitsweep"])
        let doc = try ex.execute(try Template.parse("```bitsweep\ntable: layers\n```", file: "t.md"))
        let blocks = doc.cells[0].blocks
        let charts = blocks.compactMap { b -> Figure? in if case let .figure(f) = b { return f }; return nil }
        #expect(charts.count == Set(set.cases.map(\.config.blocks)).count)
        let folded = blocks.filter { if case .details = $0 { return true }; return false }
        #expect(folded.count == set.cases.count)
        let printed = blocks.filter { if case .details(_, _, true) = $0 { return true }; return false }
        #expect(printed.count == charts.count)
        let md = MarkdownWriter().markdown(doc)
        #expect(md.components(separatedBy: "<details>").count - 1 == 2 * set.cases.count)
    }

    /// A sweep that ran no image (counts only): fidelity cells say "not run" and the fidelity charts say why
    /// they are missing instead of failing.
    @Test func costOnlyResultsGiveAReportWithoutFidelity() throws {
        var set = try Fixture.results()
        for i in set.cases.indices { set.cases[i].images = []; set.cases[i].fidelity = nil; set.cases[i].timings = nil }
        set.cases[2].error = "out of memory"
        let ex = CellExecutor(results: set, run: nil, resultsDirLabel: "r", templateLabel: "t", reportCommand: ["bitsweep"])
        let md = MarkdownWriter().markdown(try ex.execute(Template.defaultTemplate()))
        let row = try #require(md.components(separatedBy: "\n").first { $0.replacingOccurrences(of: " ", with: "").hasPrefix("|0|") })
        #expect(row.hasSuffix("—               |") || row.replacingOccurrences(of: " ", with: "").hasSuffix("|—|—|—|—|"))
        #expect(md.contains("*No case has fidelity figures — no cost-quality chart.*"))
        #expect(md.contains("*No case has mean logit sqnr figures — no heatmap.*"))
        #expect(md.contains("*No image ran in these cases.*"))
        #expect(md.contains("|   2 | d67d09f9 | seed n=3 s=32 w=8 a=float | out of memory |"))
        #expect(md.contains("**This case failed:** out of memory"))
    }

    @Test func missingResultsFolderIsAnErrorAndWritesNothing() throws {
        let dir = NSTemporaryDirectory() + "bsr-none-\(UUID().uuidString)"
        #expect(throws: ResultsStore.LoadError.self) { try ReportGenerator.generate(resultsDir: dir) }
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test func badTemplateWritesNothing() throws {
        let dir = try Fixture.writeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = dir + "/bad-template.md"
        try "# Report\n\n```bitsweep\nchart: pie\n```\n".write(toFile: t, atomically: true, encoding: .utf8)
        do {
            try ReportGenerator.generate(resultsDir: dir, template: t)
            Issue.record("expected an error")
        } catch let e as TemplateError {
            #expect(e.description.hasPrefix("\(t):4: unknown cell kind 'chart: pie'"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/report.md"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/figures"))
    }

    @Test func summaryCSVHasRawSortableNumbers() throws {
        let set = try Fixture.results()
        let lines = SummaryCSV.csv(set).split(separator: "\n").map(String.init)
        #expect(lines.count == set.cases.count + 1)
        let header = lines[0].split(separator: ",").map(String.init)
        let bitops = try #require(header.firstIndex(of: "bitops"))
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(first[bitops] == "5812224")   // worked out by hand in GoldenTests
    }

    /// The summary says how activation ranges were chosen when some case was calibrated, and nothing by default.
    @Test func summaryNamesTheCalibrationOnlyWhenNotFixed() throws {
        var set = try Fixture.results()
        #expect(SummaryCell.calibrationNote(set.cases) == nil)
        set.cases[0].calibration = ActivationCalibration(method: .fixed, layers: [])
        #expect(SummaryCell.calibrationNote(set.cases) == nil)
        set.cases[1].calibration = ActivationCalibration(method: .percentile(99.99), layers: [])
        set.cases[2].calibration = ActivationCalibration(method: .percentile(99.99), layers: [])
        #expect(SummaryCell.calibrationNote(set.cases)
                == "Activation ranges: percentile:99.99, measured per case by the float network on its images (per layer in results.json), instead of the fixed [0, 6].")
    }

    /// The summary says how a graph network's images were preprocessed when the cases record it, and nothing for
    /// block networks.
    @Test func summaryNamesThePreprocessingOnlyWhenRecorded() throws {
        var set = try Fixture.results()
        #expect(SummaryCell.preprocessingNote(set.cases) == nil)
        let p = Preprocessing(resize: 36, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        set.cases[0].preprocessing = p
        set.cases[1].preprocessing = p
        #expect(SummaryCell.preprocessingNote(set.cases)
                == "Images preprocessed as resize 36 · centre crop · mean 0.485,0.456,0.406 · std 0.229,0.224,0.225 · rgb (results.json: preprocessing).")
    }

    /// The last two columns, both in `SummaryCSV.columns`: which kernels each case's timing came from (empty
    /// without the record) and how its activation ranges were chosen (empty for the fixed ranges).
    @Test func summaryCSVSaysWhichKernelsRanAndTheCalibration() throws {
        var set = try Fixture.results()
        set.cases[1].kernels = KernelUse(requested: .auto, layers: [.init(layer: "block0.depthwise", kernel: .int8),
                                                                    .init(layer: "pool", kernel: .float)], narrowWeights: true)
        set.cases[2].config.calibration = .percentile(99.99)
        let lines = SummaryCSV.csv(set).split(separator: "\n").map(String.init)
        #expect(lines[0] == SummaryCSV.columns.joined(separator: ","))
        #expect(lines[0].hasSuffix(",error,kernels,calibrate"))
        #expect(lines[1].hasSuffix(",,"))   // case 0: no record, fixed ranges
        #expect(lines[2].hasSuffix(",int8 kernels on 1 of 2 layers (float: pool); sub-8-bit weights execute as int8,"))
        #expect(lines[3].hasSuffix(",,percentile:99.99"))
    }
}
