import Foundation
import Testing

/// The notebook executed by Jupyter and the HTML explorer driven in Chromium, both against the committed
/// example's results (8 cases). The Python side lives in `Tests/Python/`; its environment (nbconvert,
/// ipykernel, papermill, selenium from PyPI) is made by `scripts/test-venv.sh`, and Chromium comes from
/// `scripts/setup.sh`: a missing tool fails these tests, it never skips them.
@Suite struct NotebookAndBrowserTests {
    /// The test environment's python (made on first use, a minute or two; then it returns at once).
    static let python: Result<String, TestFailure> = {
        let r = run("/bin/bash", [CLI.packageRoot.path + "/scripts/test-venv.sh"])
        let py = r.output.split(separator: "\n").last.map(String.init) ?? ""
        guard r.status == 0, !py.isEmpty else { return .failure(TestFailure("scripts/test-venv.sh failed:\n\(r.output)")) }
        return .success(py.hasPrefix("/") ? py : CLI.packageRoot.path + "/" + py)
    }()

    /// A copy of the example's results with its report written by the binary under test (notebook and page).
    static let reportDir: Result<String, TestFailure> = {
        let dir = NSTemporaryDirectory() + "bitsweep-nb-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for f in ["results.json", "run.json"] {
                try FileManager.default.copyItem(atPath: CLI.packageRoot.path + "/Reports/example/" + f, toPath: dir + "/" + f)
            }
            let r = try CLI.run(["report", dir, "--outputs", "ipynb,html"])
            guard r.status == 0 else { return .failure(TestFailure("bitsweep report failed: \(r.stderr)")) }
        } catch {
            return .failure(TestFailure("\(error)"))
        }
        return .success(dir)
    }()

    /// Another results folder: the example's 64-pixel cases only, under another name.
    static func otherResults() throws -> String {
        let dir = NSTemporaryDirectory() + "bitsweep-nb-other-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = try Data(contentsOf: CLI.packageRoot.appendingPathComponent("Reports/example/results.json"))
        var obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(obj["cases"] as? [[String: Any]])
        obj["cases"] = cases.filter { (($0["config"] as? [String: Any])?["size"] as? Int) == 64 }
        obj["name"] = "example-64"
        #expect((obj["cases"] as? [Any])?.count == 4)
        try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]).write(to: URL(fileURLWithPath: dir + "/results.json"))
        return dir
    }

    @Test func notebookExecutesToTheOutputsBitSweepWrote() throws {
        let py = try Self.python.get(), dir = try Self.reportDir.get()
        let other = try Self.otherResults()
        let r = Self.run(py, [CLI.packageRoot.path + "/Tests/Python/check_notebook.py", CLI.binary.path, dir, other])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains(" 0 failed"), "\(r.output)")
        print(r.output)
    }

    /// Set `BITSWEEP_UPDATE_SCREENSHOT=1` to write the explorer's picture to docs/explorer.png.
    @Test func explorerShowsTheResultsNumbersInChromium() throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            #expect(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: scripts/setup.sh installs chromium and chromium-driver")
        }
        let py = try Self.python.get(), dir = try Self.reportDir.get()
        let update = ProcessInfo.processInfo.environment["BITSWEEP_UPDATE_SCREENSHOT"] == "1"
        let shot = update ? CLI.packageRoot.path + "/docs/explorer.png" : dir + "/explorer.png"
        let r = Self.run(py, [CLI.packageRoot.path + "/Tests/Python/check_explorer.py", dir, shot])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains(" 0 failed"), "\(r.output)")
        #expect(FileManager.default.fileExists(atPath: shot))
        print(r.output)
    }

    /// `--cell` prints one cell; every problem is one line and exit 2, and nothing is written.
    @Test func cellPrintsOneCellOrOneLineWhy() throws {
        let md = try CLI.run(["report", "Reports/example", "--cell", "table: summary", "--where", "size=64 blocks=3"])
        #expect(md.status == 0, "\(md.stderr)")
        // Rows of the summary: `| # | case | size (px) | blocks | …` with a number first.
        let rows = md.stdout.split(separator: "\n").map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { $0.count > 4 && Int($0[0]) != nil }
        #expect(rows.map { [$0[0], $0[2], $0[3]] } == [["6", "64", "3"], ["7", "64", "3"]], "\(md.stdout)")
        let png = try CLI.run(["report", "Reports/example", "--cell", "chart: heatmap; value: sqnr; where: size=64", "--format", "png"])
        #expect(png.status == 0 && png.stdout.hasPrefix("\u{FFFD}PNG\r\n"), "\(png.stderr)")
        for (args, message) in [
            (["--cell", "chart: heatmap; valu: sqnr"], "bitsweep report: --cell:2: unknown option 'valu' for chart: heatmap (expected one of: where, title, width, rows, value)"),
            (["--cell", "chart: layerwise", "--format", "png"], "bitsweep report: --format png: this cell draws 8 charts; narrow it with `where:` (or use --format html or ipynb)"),
            (["--cell", "table: summary", "--format", "docx"], "bitsweep report: --format: unknown format 'docx' for --cell (expected one of: ipynb, markdown, html, svg, png)"),
            (["--cell", "table: summary", "--where", "colour=red"], "bitsweep report: --where: unknown key 'colour' (expected one of: family, size, blocks, precision, act, convention, width, quantization, kernels)"),
        ] {
            let r = try CLI.run(["report", "Reports/example"] + args)
            #expect(r.status == 2 && r.stdout.isEmpty && r.stderr == message + "\n", "\(args): \(r.status) \(r.stderr)")
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Runs a program; stdout and stderr together.
    static func run(_ path: String, _ args: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.currentDirectoryURL = CLI.packageRoot
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "cannot run \(path): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
