import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import Results

/// `--shard i/n`: shard `index` (0-based, so that Kubernetes' `JOB_COMPLETION_INDEX` and a Slurm array
/// `--array=0-(n-1)` pass straight through) of `count`.
public struct Shard: Hashable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int
    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }
    /// Parses `i/n` with 0 ≤ i < n.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw SweepError("shard '\(text)' is not i/n (e.g. 0/4: the first of four shards, numbered from 0)", input: true)
        }
        guard n >= 1, (0..<n).contains(i) else {
            throw SweepError("shard '\(text)' is out of range: expected i/n with n ≥ 1 and 0 ≤ i < n (shards are numbered from 0)", input: true)
        }
        self.init(index: i, count: n)
    }
    public var description: String { "\(index)/\(count)" }
}

/// How to run a plan.
public struct SweepOptions: Sendable {
    /// The results folder (created if needed).
    public var outputDirectory: String
    /// Cases evaluated at once. Each gets `max(1, cores / jobs)` engine threads.
    /// Default: the CPUs this process may use (`AvailableCPUs`: affinity mask and cgroup quota).
    public var jobs: Int
    public var shard: Shard?
    /// Forget the cache of `outputDirectory` first (`--fresh`); otherwise finished cases are reused.
    public var fresh: Bool
    public var progress: ProgressStyle
    /// Provenance for `run.json`.
    public var commandLine: [String]
    public var bitsweepVersion: String
    /// Cores available to the sweep (default: `AvailableCPUs.current().count`, not the machine's count).
    public var cores: Int
    /// Test hook: sleep this long before each evaluation, so that a test can kill a sweep mid-way.
    public var delayPerEvaluationMs: Int
    /// The decoded images of a run may take at most this many bytes together (images beyond it are skipped
    /// with the reason). Default: a quarter of the memory a run may use, at most 2 GiB.
    public var imageMemoryBudget: Int = SweepOptions.defaultImageMemoryBudget
    /// When another run holds the output folder: wait for it (`--wait`) instead of stopping.
    public var waitForFolder = false
    /// Timing rounds per case (`--repeats`); nil: the spec's `repeats`, else `SweepSpec.defaultRepeats`.
    public var repeats: Int? = nil

    public static var defaultImageMemoryBudget: Int {
        min(2 << 30, (MemoryEstimate.budget(limit: nil) ?? (8 << 30)) / 4)
    }

    public init(outputDirectory: String, jobs: Int = AvailableCPUs.current().count, shard: Shard? = nil,
                fresh: Bool = false, progress: ProgressStyle = .automatic, commandLine: [String] = CommandLine.arguments,
                bitsweepVersion: String = "unknown", cores: Int = AvailableCPUs.current().count,
                delayPerEvaluationMs: Int = 0) {
        self.outputDirectory = outputDirectory
        self.jobs = jobs
        self.shard = shard
        self.fresh = fresh
        self.progress = progress
        self.commandLine = commandLine
        self.bitsweepVersion = bitsweepVersion
        self.cores = cores
        self.delayPerEvaluationMs = delayPerEvaluationMs
    }
}

/// What a finished sweep reports back.
public struct SweepSummary: Sendable {
    public var outputDirectory: String
    public var results: ResultsSet
    public var run: RunInfo
    /// Cases computed by this run, and cases taken from the cache.
    public var computed: Int
    public var reused: Int
    /// Readable images (each case ran all of them).
    public var images: Int
    public var seconds: Double
    /// Cached cases that failed a check (counts, images, fidelity, checksum) and were computed again: why.
    public var recomputed: [String] = []
}

/// Runs sweeps. Typical use from code:
///
/// ```swift
/// let spec = try SweepSpecReader.load(path: "Inputs/sweep.yaml", overrides: ["sizes=[16]"])
/// let plan = try SweepPlan.expand(spec)
/// let summary = try SweepRunner.run(plan, options: SweepOptions(outputDirectory: "Reports/demo"),
///                                   evaluator: EngineEvaluator())
/// let results = summary.results          // also in Reports/demo/results.json
/// ```
///
/// Order of work: every case's counts were computed by `SweepPlan.expand`; the images folder is listed and
/// hashed, and each image decoded once; finished cases are taken from the cache; the remaining cases are
/// grouped by network (cases that differ only in the BitOps convention share one evaluation) and the groups
/// are run by `jobs` workers; each image is resized once per size. Each finished case is written to the
/// cache at once; `results.json`, `results.csv` and `run.json` are written at the end, atomically (until
/// then the previous run's files stay as they were).
public enum SweepRunner {
    public static func run<E: CaseEvaluator>(_ plan: SweepPlan, options: SweepOptions, evaluator: E) throws -> SweepSummary {
        let started = Date()
        // What the evaluator keeps for this run (a calibrated case's activation ranges) goes with it at the end.
        let evaluator = evaluator.forOneRun()
        let spec = plan.spec
        guard options.jobs >= 1 else { throw SweepError("--jobs \(options.jobs) must be at least 1", input: true) }
        let cases = options.shard.map { plan.shard($0.index, of: $0.count) } ?? plan.cases
        let progress = ProgressReporter(style: options.progress)

        // The folder is ours until the end of the run (another run there stops, or waits with --wait).
        let out = options.outputDirectory
        let lock = try FolderLock(directory: out, wait: options.waitForFolder) { pid in
            progress.note("\(out): folder in use by PID \(pid); waiting for it to finish")
        }
        defer { lock.release() }

        // Inputs: list and hash the folder, decode every image once.
        let imageSet = try ImageSet.scan(folder: spec.resolve(spec.images.value), origin: spec.images.origin)
        let (readable, decodeSkipped) = decodeAll(imageSet, evaluator: evaluator, budget: options.imageMemoryBudget)
        let skipped = (imageSet.skipped.map { SkippedImage(file: $0.file, reason: $0.reason) } + decodeSkipped)
            .sorted { $0.file.utf8.lexicographicallyPrecedes($1.file.utf8) }
        guard !readable.isEmpty else {
            throw SweepError("\(spec.images.origin): no readable image in '\(imageSet.folder)': "
                + skipped.map { "\($0.file) (\($0.reason))" }.joined(separator: "; "), input: true)
        }

        // A labelled set's classes must be classes of every network of the grid.
        if let classes = imageSet.classes,
           let c = cases.first(where: { $0.job.network.classes < classes.count }) {
            throw SweepError("\(spec.images.origin): the images folder '\(imageSet.folder)' has \(classes.count) class folders, "
                + "more than the \(c.job.network.classes) classes of \(c.job.network.name) (case \(c.config.label)); expected at most \(c.job.network.classes)", input: true)
        }

        // The cache: reuse every finished case whose key still matches.
        let cache = CaseCache(resultsDirectory: out)
        if options.fresh { try cache.clear() }
        cache.removeTemporaries()
        let setDigest = imageSet.setDigest
        var keys: [String: String] = [:]
        var finished: [Int: CaseResult] = [:]
        var rejected: [String] = []
        let repeats = options.repeats ?? spec.timingRepeats
        guard (1...1000).contains(repeats) else { throw SweepError("--repeats \(repeats) is out of range; expected timing rounds per case, 1–1000", input: true) }
        var fewerSamples = 0
        let readableFiles = readable.map(\.file)
        for c in cases {
            // A graph case's results depend on the graph executor's numerics too; a calibrated one on calibration.
            let engine = c.network.graph == nil ? evaluator.version : evaluator.version + ", " + evaluator.graphVersion
            let k = CaseCache.key(for: c, imageSetDigest: setDigest, engineVersion: engine,
                                  calibrationVersion: evaluator.calibrationVersion)
            keys[c.id] = k
            switch cache.lookup(c, key: k, imageFiles: readableFiles) {
            case .hit(var r):
                // Timed fewer times than asked now (an earlier run with fewer --repeats): time it again.
                if let t = r.timings, t.samples.count < repeats {
                    fewerSamples += 1
                    continue
                }
                r.index = c.index
                finished[c.index] = r
            case .invalid(let why):
                rejected.append("\(why); recomputing it")
            case .miss:
                break
            }
        }
        let reused = finished.count

        // The folder's previous summary (results.json, results.csv, run.json) stays until the new files are
        // renamed over it at the end: a run that fails or is killed leaves the last finished run's summary.
        // Temporary files of a run that was killed while writing go.
        let summaryFiles = [ResultsStore.resultsFile, ResultsStore.csvFile, ResultsStore.runFile]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        where summaryFiles.contains(where: { name.hasPrefix($0 + ".tmp-") }) {
            try? FileManager.default.removeItem(atPath: (out as NSString).appendingPathComponent(name))
        }

        // Pending work, grouped by network (conventions share one evaluation), in grid order.
        let groups: [[SweepCase]] = {
            var groups: [[SweepCase]] = []
            var groupIndex: [String: Int] = [:]
            for c in cases where finished[c.index] == nil {
                if let g = groupIndex[c.group] { groups[g].append(c) } else {
                    groupIndex[c.group] = groups.count
                    groups.append([c])
                }
            }
            return groups
        }()

        let workers = max(1, min(options.jobs, groups.count))
        let threads = max(1, options.cores / workers)
        progress.note("sweep '\(spec.name.value)': \(cases.count) cases"
            + (options.shard.map { " (shard \($0) of \(plan.cases.count))" } ?? "")
            + (reused > 0 ? ", \(reused) cached" : "")
            + ", \(readable.count) images" + (skipped.isEmpty ? "" : " (\(skipped.count) skipped)")
            + (repeats > 1 ? ", timed \(repeats)× in interleaved rounds" : "")
            + ", \(workers) job\(workers == 1 ? "" : "s") × \(threads) thread\(threads == 1 ? "" : "s") → \(out)")
        for w in plan.warnings { progress.note("warning: \(w)") }
        for r in rejected { progress.note("cache: \(r)") }
        if fewerSamples > 0 {
            progress.note("cache: \(fewerSamples) finished case\(fewerSamples == 1 ? " was" : "s were") timed fewer than \(repeats) times; recomputing \(fewerSamples == 1 ? "it" : "them")")
        }
        for s in skipped { progress.note("skipped \(s.file): \(s.reason)") }

        // Work items: every round of every group, rounds interleaved over the cases (round 1 of each, then round 2
        // of each, …): a busy phase of the machine (another job's build for a minute) then touches a few samples
        // of every case, which widens their intervals, instead of every sample of the cases timed during it, which
        // would shift them as a real change does. When the images resized to every size would not fit the image
        // memory budget together, the rounds are interleaved over the cases of one size at a time (sizes in grid
        // order), so that only that size's images are held.
        var items: [RunItem] = []
        var sizeOrder: [Int] = []
        for g in groups where !sizeOrder.contains(g[0].job.size) { sizeOrder.append(g[0].job.size) }
        let channels = groups.map { $0[0].job.network.inputChannels }.max() ?? 3
        let allSizes = sizeOrder.reduce(0) { saturatingSum($0, MemoryEstimate.inputTensorBytes(count: readable.count, channels: channels, size: $1)) }
        let phases = allSizes <= options.imageMemoryBudget ? [sizeOrder] : sizeOrder.map { [$0] }
        for sizes in phases {
            let ofSizes = groups.indices.filter { sizes.contains(groups[$0][0].job.size) }
            for round in 0..<repeats { for g in ofSizes { items.append(RunItem(group: g, round: round)) } }
        }
        let state = RunState(items: items, groups: groups.count, repeats: repeats)
        var groupsPerSize: [Int: Int] = [:]
        for g in groups { groupsPerSize[g[0].job.size, default: 0] += repeats }
        let prepared = PreparedImages(readable.map(\.image), evaluator: evaluator, uses: groupsPerSize,
                                      preprocessing: spec.preprocessing)
        let files = readable.map(\.file)
        let labels = files.map(imageSet.label(of:))
        progress.begin(total: cases.count, cached: reused)

        let caseKeys = keys
        let work: @Sendable () -> Void = {
            while let item = state.next() {
                let group = groups[item.group]
                if options.delayPerEvaluationMs > 0 { Thread.sleep(forTimeInterval: Double(options.delayPerEvaluationMs) / 1000) }
                let outcome: RoundOutcome
                if item.round > 0 && state.hasFailed(group: item.group) {
                    outcome = .skipped   // the case could not run in an earlier round: its error stands
                } else {
                    outcome = evaluateRound(group, round: item.round, files: files, labels: labels, prepared: prepared,
                                            evaluator: evaluator, threads: threads)
                }
                prepared.release(size: group[0].job.size)
                guard let rounds = state.record(outcome, group: item.group) else { continue }
                let results = finish(group, rounds: rounds)
                for (k, r) in results.enumerated() {
                    // A case that could not run (e.g. refused for memory, which depends on the machine) is
                    // reported but not cached: the next run tries it again.
                    do {
                        if r.error == nil { try cache.store(r, key: caseKeys[r.id]!) }
                    } catch {
                        state.fail("\(error); case \(r.id) not saved")   // the error names the file first
                        return
                    }
                    state.finish(r)
                    // Cases of one group shared one engine run: its images count once.
                    progress.caseFinished(r, images: k == 0 ? r.images.count : 0)
                }
            }
        }
        if workers == 1 {
            work()
        } else {
            let done = DispatchGroup()
            for _ in 0..<workers {
                done.enter()
                let t = Thread { work(); done.leave() }
                t.stackSize = 16 << 20
                t.start()
            }
            done.wait()
        }
        if let failure = state.failure {
            progress.finish("sweep stopped: \(failure)")
            throw SweepError(failure)
        }
        for r in state.results { finished[r.index] = r }

        let results = ResultsSet(name: spec.name.value, cases: cases.map { finished[$0.index]! }, skippedImages: skipped)
        let run = RunInfo(
            bitsweepVersion: options.bitsweepVersion,
            engineVersion: plan.cases.contains { $0.network.graph != nil } ? evaluator.version + ", " + evaluator.graphVersion : evaluator.version,
            gitCommit: Provenance.gitCommit(in: spec.baseDirectory), spec: spec.resolvedJSON,
            specHash: Digest.sha256(spec.resolvedJSON), images: imageSet.digests, machine: Provenance.machine(),
            date: Provenance.now(), commandLine: options.commandLine, shard: options.shard?.description,
            gridCases: plan.cases.count)
        try ResultsStore.write(results, to: out)
        try ResultsStore.write(run, to: out)
        if let budgets = spec.budgetsPath { try ResultsStore.keepBudgets(from: budgets, in: out) }
        let seconds = Date().timeIntervalSince(started)
        let failed = results.cases.filter { $0.error != nil }.count
        progress.finish(String(format: "done: %d cases (%d computed, %d cached%@), %d images, %.1f s → %@",
                               cases.count, cases.count - reused, reused,
                               failed > 0 ? ", \(failed) failed" : "", readable.count, seconds,
                               (out as NSString).appendingPathComponent(ResultsStore.resultsFile)))
        return SweepSummary(outputDirectory: out, results: results, run: run, computed: cases.count - reused,
                            reused: reused, images: readable.count, seconds: seconds, recomputed: rejected)
    }

    /// Decodes every file once, a few in parallel, in file order; failures carry their reason. The decoded
    /// images kept may take at most `budget` bytes together (as `evaluator.memoryBytes` counts them): an
    /// image that would go over is skipped with the reason, so the set's memory is bounded and which images
    /// are skipped depends only on the files, not on timing. At most one batch of `cores` images is decoded
    /// beyond the budget at any time (each one bounded by the decoder's own pixel limit).
    static func decodeAll<E: CaseEvaluator>(_ set: ImageSet, evaluator: E, budget: Int)
        -> (readable: [(file: String, image: E.Decoded)], skipped: [SkippedImage]) {
        var readable: [(file: String, image: E.Decoded)] = []
        var skipped: [SkippedImage] = []
        var used = 0
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
        for start in stride(from: 0, to: set.files.count, by: width) {
            let files = Array(set.files[start..<min(start + width, set.files.count)])
            let box = ResultBox<E.Decoded>(count: files.count)
            DispatchQueue.concurrentPerform(iterations: files.count) { i in
                let r: Result<E.Decoded, SweepError>
                do { r = .success(try evaluator.decode(path: set.path(files[i]))) } catch {
                    r = .failure(SweepError(Self.reason(error, path: set.path(files[i]))))
                }
                box.set(i, r)
            }
            for (file, r) in zip(files, box.values) {
                switch r {
                case .success(let img):
                    let bytes = evaluator.memoryBytes(img)
                    if saturatingSum(used, bytes) > budget {
                        skipped.append(SkippedImage(file: file, reason: "decoded, it would take \(bytes) bytes, more than the \(max(0, budget - used)) bytes left of the image set's memory budget (\(budget) bytes)"))
                    } else {
                        used += bytes
                        readable.append((file, img))
                    }
                case .failure(let reason):
                    skipped.append(SkippedImage(file: file, reason: reason.description))
                }
            }
        }
        return (readable, skipped)
    }

    /// An error's text without the path (the results name the file already).
    static func reason(_ error: Error, path: String) -> String {
        var s = "\(error)"
        for prefix in [path + ": ", path + " "] where s.hasPrefix(prefix) { s.removeFirst(prefix.count) }
        return s
    }

    /// One timing round of a group (cases sharing a network). The first round evaluates: builds the network with
    /// its float twin and runs every image (`labels` are the images' classes, nil for an unlabelled image: a
    /// labelled image keeps its label and the twin's top five, an unlabelled one neither, and the cases get an
    /// accuracy when some image is labelled); the results keep its images, fidelity, build time and kernels.
    /// Every round, the first included, then takes its timing sample from `evaluator.time` — only what is timed,
    /// built afresh (the engine is deterministic, so later rounds would give the same images and fidelity) — or,
    /// from an evaluator without it, from `evaluate`'s batches (evaluating again in later rounds).
    static func evaluateRound<E: CaseEvaluator>(_ group: [SweepCase], round: Int, files: [String], labels: [Int?],
                                                prepared: PreparedImages<E>, evaluator: E, threads: Int) -> RoundOutcome {
        let t0 = Date()
        var job = group[0].job
        job.threads = threads
        do {
            try evaluator.checkMemory(job, imageCount: files.count)
            let inputs = try prepared.images(size: job.size)
            func evaluate() throws -> Evaluation {
                let e = try evaluator.evaluate(job, images: inputs)
                guard e.images.count == files.count else {
                    throw SweepError("the engine returned \(e.images.count) results for \(files.count) images")
                }
                return e
            }
            var images: [ImageResult] = []
            var first: Evaluation?
            if round == 0 {
                let e = try evaluate()
                first = e
                images = zip(zip(files, labels), e.images).map { fl, r in
                    var r = r
                    r.file = fl.0
                    r.label = fl.1
                    if fl.1 == nil { r.floatTop5 = nil }
                    return r
                }
            }
            let batches = try evaluator.time(job, images: inputs) ?? (first ?? evaluate()).batchMsPerImage
            // The reference workload right after the sample, in the same worker on the same threads: what the
            // machine gave this round (a reference that cannot run leaves the case without reference samples).
            let reference = (try? evaluator.timeReference(threads: threads)).flatMap { $0 }.flatMap { $0.isEmpty ? nil : median($0) }
            return .ran(RoundResult(round: round, images: images, buildMs: first?.buildMs ?? 0, msPerImage: median(batches),
                                    wallMs: Date().timeIntervalSince(t0) * 1000, kernels: first?.kernels, calibration: first?.calibration,
                                    referenceMsPerImage: reference))
        } catch let e {
            return .failed(round: round, "\(e)")
        }
    }

    /// The case records of a group from all its rounds: the first round's images and fidelity, one timing
    /// sample per round (the median over batches of the time per image), their median as `ms_per_image`, and
    /// beside each sample the reference workload's (when every round has one).
    /// A round that failed makes the case fail with its error (and it is not cached).
    static func finish(_ group: [SweepCase], rounds: [RoundOutcome]) -> [CaseResult] {
        var ran: [RoundResult] = []
        var error: (round: Int, text: String)?
        for r in rounds {
            switch r {
            case .ran(let x): ran.append(x)
            case .failed(let round, let text): if error == nil || round < error!.round { error = (round, text) }
            case .skipped: break
            }
        }
        ran.sort { $0.round < $1.round }
        var images: [ImageResult] = []
        var timings: CaseTimings?
        if error == nil, let first = ran.first {
            images = first.images
            let samples = ran.map(\.msPerImage)
            let ms = median(samples)
            let reference = ran.compactMap(\.referenceMsPerImage)
            timings = CaseTimings(buildMs: first.buildMs, msPerImage: ms, imagesPerSecond: ms > 0 ? 1000 / ms : 0,
                                  totalMs: ran.reduce(0) { $0 + $1.wallMs }, samplesMsPerImage: samples,
                                  referenceSamplesMsPerImage: reference.count == ran.count ? reference : nil)
        }
        let failure = error?.text
        let kernels = failure == nil ? ran.first?.kernels : nil
        let calibration = failure == nil ? ran.first?.calibration : nil
        return group.map { c in
            CaseResult(id: c.id, index: c.index, config: c.config, cost: c.cost, images: images,
                       fidelity: failure == nil ? FidelitySummary(images: images) : nil, timings: timings, error: failure,
                       accuracy: failure == nil ? AccuracySummary(images: images) : nil, kernels: kernels, calibration: calibration,
                       preprocessing: c.network.graph?.preprocessing)
        }
    }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// One timing round of one group.
struct RunItem: Sendable {
    var group: Int
    var round: Int
}

/// What one round of a group measured.
struct RoundResult: Sendable {
    var round: Int
    /// The images' results (first round only; empty in later rounds).
    var images: [ImageResult]
    /// Building the evaluated network (first round only; 0 in later rounds).
    var buildMs: Double
    /// The median over batches of the quantized network's time per image: this round's timing sample.
    var msPerImage: Double
    /// Wall time of the round.
    var wallMs: Double
    /// Which kernels ran (first round only).
    var kernels: KernelUse? = nil
    /// The activation ranges (first round only; the same in every round: calibration is deterministic).
    var calibration: ActivationCalibration? = nil
    /// The reference workload's sample taken right after this round's (`CaseEvaluator.timeReference`).
    var referenceMsPerImage: Double? = nil
}

enum RoundOutcome: Sendable {
    case ran(RoundResult)
    case failed(round: Int, String)
    /// Not run: an earlier round of the group failed.
    case skipped
}

/// Shared state of the workers.
final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var queue: [RunItem]
    private(set) var results: [CaseResult] = []
    private var failed: String?
    private var rounds: [[RoundOutcome]]
    private var groupFailed: [Bool]
    private let repeats: Int

    init(items: [RunItem], groups: Int, repeats: Int) {
        queue = items.reversed()
        rounds = Array(repeating: [], count: groups)
        groupFailed = Array(repeating: false, count: groups)
        self.repeats = repeats
    }

    func next() -> RunItem? {
        lock.lock(); defer { lock.unlock() }
        return failed == nil ? queue.popLast() : nil
    }

    func hasFailed(group: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return groupFailed[group]
    }

    /// Records a round; returns every round of the group once the last one is in.
    func record(_ outcome: RoundOutcome, group: Int) -> [RoundOutcome]? {
        lock.lock(); defer { lock.unlock() }
        if case .failed = outcome { groupFailed[group] = true }
        rounds[group].append(outcome)
        guard rounds[group].count == repeats else { return nil }
        defer { rounds[group] = [] }
        return rounds[group]
    }
    func finish(_ r: CaseResult) {
        lock.lock(); defer { lock.unlock() }
        results.append(r)
    }
    func fail(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        if failed == nil { failed = message }
    }
    var failure: String? { lock.lock(); defer { lock.unlock() }; return failed }
}

/// Images resized once per size, shared by every case of that size, and dropped when the last case of that
/// size is done (so that memory holds the images of the sizes in flight only).
final class PreparedImages<E: CaseEvaluator>: @unchecked Sendable {
    private let lock = NSLock()
    private let decoded: [E.Decoded]
    private let evaluator: E
    private var bySize: [Int: Result<[E.Prepared], SweepError>] = [:]
    private var uses: [Int: Int]
    private let preprocessing: Preprocessing

    /// `uses`: how many evaluations will ask for each size; `preprocessing`: how every image becomes an input
    /// (one network family per sweep, so one preprocessing).
    init(_ decoded: [E.Decoded], evaluator: E, uses: [Int: Int], preprocessing: Preprocessing = .seedDefault) {
        self.decoded = decoded
        self.evaluator = evaluator
        self.uses = uses
        self.preprocessing = preprocessing
    }

    /// One evaluation of `size` is done with its images.
    func release(size: Int) {
        lock.lock(); defer { lock.unlock() }
        uses[size, default: 1] -= 1
        if uses[size]! <= 0 { bySize[size] = nil }
    }

    func images(size: Int) throws -> [E.Prepared] {
        lock.lock(); defer { lock.unlock() }
        if let r = bySize[size] { return try r.get() }
        let r: Result<[E.Prepared], SweepError>
        do { r = .success(try decoded.map { try evaluator.prepare($0, size: size, preprocessing: preprocessing) }) } catch {
            r = .failure(SweepError("resizing to \(size)×\(size): \(error)"))
        }
        bySize[size] = r
        return try r.get()
    }
}

final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<T, SweepError>?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: Result<T, SweepError>) {
        lock.lock(); defer { lock.unlock() }
        storage[i] = v
    }
    var values: [Result<T, SweepError>] { storage.map { $0! } }
}
