import Foundation
import Results

/// How progress is shown on stderr.
public enum ProgressStyle: Sendable {
    /// A live line when stderr is a terminal, a plain line per case otherwise.
    case automatic
    /// One line, rewritten in place: cases done/total, images/s, elapsed, estimated time left.
    case live
    /// A plain line per finished case (CI logs).
    case lines
    case quiet

    var resolved: ProgressStyle {
        guard case .automatic = self else { return self }
        return isatty(2) != 0 ? .live : .lines
    }
}

/// Progress of a running sweep, written to stderr. Thread-safe.
final class ProgressReporter: @unchecked Sendable {
    private let style: ProgressStyle
    private let lock = NSLock()
    private let start = Date()
    private var total = 0
    private var done = 0
    private var cached = 0
    private var imagesRun = 0
    private var computedCases = 0
    private var ticker: Thread?
    private var stopped = false
    private var lastDraw = Date.distantPast

    init(style: ProgressStyle) { self.style = style.resolved }

    func write(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }

    /// A line that is not progress (start, warnings).
    func note(_ s: String) {
        guard style != .quiet else { return }
        lock.lock(); defer { lock.unlock() }
        write(style == .live ? "\r\u{1B}[K\(s)\n" : "\(s)\n")
    }

    func begin(total: Int, cached: Int) {
        lock.lock()
        self.total = total
        self.cached = cached
        self.done = cached
        lock.unlock()
        guard style == .live, cached < total else { return }
        let t = Thread { [weak self] in
            while let self, !self.isStopped {
                self.redraw()
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        ticker = t
        t.start()
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    func caseFinished(_ r: CaseResult, images: Int) {
        lock.lock()
        done += 1
        computedCases += 1
        imagesRun += images
        let line = "[\(done)/\(total)] \(r.config.label): " + (r.error.map { "error: \($0)" } ?? "\(r.images.count) images"
            + (r.timings.map { String(format: ", %.2f ms/image", $0.msPerImage) } ?? "")
            + (r.kernels.map { $0.runsInteger ? " on int8 kernels" : "" } ?? "")
            + String(format: " (%.1f s)", Date().timeIntervalSince(start)))
        // Written under the lock that numbered it, so that lines come out in order.
        if style == .lines { write(line + "\n") }
        lock.unlock()
        if style == .live { redraw() }
    }

    private func redraw() {
        lock.lock(); defer { lock.unlock() }
        // At most ten redraws a second; the ticker shows the time passing in between.
        guard !stopped, Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = Date()
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(imagesRun) / elapsed : 0
        let remaining = total - done
        var eta = "–"
        if computedCases > 0 {
            eta = Self.duration(elapsed / Double(computedCases) * Double(remaining))
        }
        write("\r\u{1B}[K" + "cases \(done)/\(total)" + (cached > 0 ? " (\(cached) cached)" : "")
              + String(format: " · %.0f images/s", rate) + " · elapsed \(Self.duration(elapsed)) · left ~\(eta)")
    }

    func finish(_ summary: String) {
        lock.lock()
        stopped = true
        let s = style
        lock.unlock()
        switch s {
        case .live: write("\r\u{1B}[K\(summary)\n")
        case .lines: write("\(summary)\n")
        default: break
        }
    }

    static func duration(_ s: Double) -> String {
        if s < 60 { return String(format: "%.1f s", s) }
        let m = Int(s) / 60, sec = Int(s) % 60
        if m < 60 { return "\(m) min \(sec) s" }
        return "\(m / 60) h \(m % 60) min"
    }
}
