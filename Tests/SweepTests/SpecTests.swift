import BitOpsCore
import BitSweepConfig
import Foundation
import Results
import Testing
@testable import Sweep

@Suite struct PolicyTests {
    @Test func firstLastScalesWithTheBlockCount() {
        let p = PrecisionPolicy.firstLast(edge: 8, inner: 2)
        #expect(p.resolve(blocks: 1) == [8])
        #expect(p.resolve(blocks: 2) == [8, 8])
        #expect(p.resolve(blocks: 3) == [8, 2, 8])
        #expect(p.resolve(blocks: 6) == [8, 2, 2, 2, 2, 8])
        #expect(p.description == "first-last(8,2)")
    }

    @Test func uniformAndLists() {
        #expect(PrecisionPolicy.uniform(4).resolve(blocks: 3) == [4, 4, 4])
        #expect(PrecisionPolicy.uniform(4).description == "4")
        #expect(PrecisionPolicy.perBlock([8, 4, 8]).resolve(blocks: 3) == [8, 4, 8])
        #expect(PrecisionPolicy.perBlock([8, 4, 8]).resolve(blocks: 4) == nil)
        #expect(PrecisionPolicy.perBlock([8, 4, 8]).description == "8,4,8")
        #expect(PrecisionPolicy.model.resolve(blocks: 2, modelBits: [8, 4, 2]) == [8, 4])
        #expect(PrecisionPolicy.model.resolve(blocks: 4, modelBits: [8, 4, 2]) == nil)
    }
}

@Suite struct GridTests {
    /// (size, blocks, precision label, act label, convention, bits) of every case, in order.
    func rows(_ plan: SweepPlan) -> [String] {
        plan.cases.map {
            "\($0.config.size) \($0.config.blocks) \($0.config.weightPrecision) \($0.config.actPrecision) \($0.config.convention.rawValue) \($0.config.weightPrecision.blocks)"
        }
    }

    @Test func productWithPoliciesExcludeAndInclude() throws {
        let d = TempDir()
        let s = try spec("""
            sizes: [16, 32]
            blocks: [2, 3]
            precisions: [8, {first-last: {edge: 8, inner: 2}}, [4, 2, 4]]
            exclude:
              - {size: 32, blocks: 2}
            include:
              - {size: 64, blocks: 3, precision: 4}
            """, dir: d)
        let plan = try SweepPlan.expand(s)
        // Hand-derived: the per-block list pairs only with 3 blocks; (32, 2) is excluded; one case included.
        #expect(rows(plan) == [
            "16 2 8 float weight [8, 8]",
            "16 2 first-last(8,2) float weight [8, 8]",
            "16 3 8 float weight [8, 8, 8]",
            "16 3 first-last(8,2) float weight [8, 2, 8]",
            "16 3 4,2,4 float weight [4, 2, 4]",
            "32 3 8 float weight [8, 8, 8]",
            "32 3 first-last(8,2) float weight [8, 2, 8]",
            "32 3 4,2,4 float weight [4, 2, 4]",
            "64 3 4 float weight [4, 4, 4]",
        ])
        #expect(plan.cases.map(\.index) == Array(0..<9))
        #expect(Set(plan.cases.map(\.id)).count == 9)
    }

    @Test func activationPoliciesAndConventionsAreAxesToo() throws {
        let d = TempDir()
        let s = try spec("""
            sizes: 32
            blocks: [4]
            precisions: [4]
            act_bits: [32, {first-last: {edge: 8, inner: 4}}]
            conventions: [weight, wa]
            """, dir: d)
        let plan = try SweepPlan.expand(s)
        #expect(plan.cases.count == 4)
        #expect(plan.cases.map(\.config.actPrecision.blocks) == [[32, 32, 32, 32], [32, 32, 32, 32], [8, 4, 4, 8], [8, 4, 4, 8]])
        #expect(plan.cases.map { $0.network.block!.blocks[1].actBits } == [32, 32, 4, 4])
        #expect(plan.cases.map(\.config.convention) == [.weight, .wa, .weight, .wa])
        // The two conventions of one network share one evaluation: 2 groups for 4 cases.
        #expect(plan.groupCount == 2)
        // Counts come from BitOpsCore, once per case: wa = weight × activation bits for the input of each layer.
        let w = plan.cases[0].cost.totals.bitops, wa = plan.cases[1].cost.totals.bitops
        #expect(wa > w)
        let direct = try Preset.seed.network(PresetOptions(blocks: 4, bits: .uniform(4))).cost(inputSize: 32)
        #expect(w == direct.totals.bitops)
    }

    @Test func uniformAndPlainIntegerAreTheSameCaseAndADuplicate() throws {
        let d = TempDir()
        #expect(throws: ConfigError.self) {
            _ = try spec("precisions: [4, {uniform: 4}]\n", dir: d)
        }
    }

    @Test func defaultsFollowThePreset() throws {
        let d = TempDir()
        let seed = try SweepPlan.expand(try spec("name: x\n", dir: d))
        #expect(rows(seed) == ["32 5 4 float weight [4, 4, 4, 4, 4]"])
        let mb = try SweepPlan.expand(try spec("network: {preset: mobilenet-v1, width: 0.25}\nsizes: [64]\nblocks: [3]\n", dir: d))
        #expect(mb.cases[0].config.family == "mobilenet-v1")
        #expect(mb.cases[0].config.weightPrecision.blocks == [8, 8, 8])
        #expect(mb.cases[0].config.stemBits == 8)
        #expect(mb.cases[0].network.block!.blocks.map(\.outChannels) == [16, 32, 32])
    }

    @Test func modelFileFamilyTakesItsFirstBlocksAndItsOwnBits() throws {
        let d = TempDir()
        d.write("m.yaml", """
            name: tiny
            blocks:
              - {out_channels: 8, stride: 1, bits: 8}
              - {out_channels: 16, stride: 2, bits: 2, act_bits: 4}
              - {out_channels: 16, stride: 1, bits: 8}
            """)
        let s = try spec("network: {model: m.yaml}\nsizes: [16]\nblocks: [2, 3]\nprecisions: [model, 4]\n", dir: d)
        let plan = try SweepPlan.expand(s)
        #expect(rows(plan) == [
            "16 2 model model weight [8, 2]", "16 2 4 model weight [4, 4]",
            "16 3 model model weight [8, 2, 8]", "16 3 4 model weight [4, 4, 4]",
        ])
        #expect(plan.cases[0].config.actPrecision.blocks == [32, 4])
        #expect(plan.cases[0].config.family == "tiny")
    }

    /// A model file's per-layer bits stay with the `model` precision and give way to any other precision.
    @Test func modelFilePerLayerBitsStayOnlyWithTheModelPrecision() throws {
        let d = TempDir()
        d.write("m.yaml", """
            name: tiny
            blocks:
              - {out_channels: 8, stride: 1, bits: 8, pointwise_bits: 2}
              - {out_channels: 16, stride: 2, bits: 4}
            """)
        let plan = try SweepPlan.expand(try spec("network: {model: m.yaml}\nsizes: [16]\nblocks: [2]\nprecisions: [model, 4]\n", dir: d))
        #expect(plan.cases.map { $0.network.block!.blocks[0].pointwiseBits } == [2, nil])
        #expect(plan.cases.map { $0.cost.layers.first { $0.name == "block0.pointwise" }!.weightBits } == [2, 4])
        #expect(plan.cases.map { $0.cost.layers.first { $0.name == "block0.depthwise" }!.weightBits } == [8, 4])
    }

    @Test func caseIDsAreStableAndDependOnTheWholeConfiguration() throws {
        let d = TempDir()
        let a = try SweepPlan.expand(try spec("sizes: [16, 32]\nprecisions: [4, 8]\n", dir: d))
        let b = try SweepPlan.expand(try spec("sizes: [32]\nprecisions: [8, 4]\n", dir: d))
        // The same configuration has the same id whatever the rest of the grid and its order.
        let idsA = Dictionary(uniqueKeysWithValues: a.cases.map { ("\($0.config.size) \($0.config.weightPrecision)", $0.id) })
        for c in b.cases { #expect(idsA["\(c.config.size) \(c.config.weightPrecision)"] == c.id) }
        let seeded = try SweepPlan.expand(try spec("sizes: [32]\nprecisions: [8]\nnetwork: {seed: 1}\n", dir: d))
        #expect(seeded.cases[0].id != idsA["32 8"])
        #expect(seeded.cases[0].config.weights == "seed:1")
        let torch = try SweepPlan.expand(try spec("sizes: [32]\nprecisions: [8]\nnetwork: {init: pytorch-default}\n", dir: d))
        #expect(torch.cases[0].id != idsA["32 8"])
        #expect(torch.cases[0].config.weights == "seed:0/pytorch-default")
        #expect(a.cases[0].config.weights == "seed:0")
    }

    @Test func shardsPartitionTheGridAndKeepGroupsTogether() throws {
        let d = TempDir()
        let plan = try SweepPlan.expand(try spec("sizes: [8, 16]\nblocks: [1, 2, 3]\nprecisions: [2, 4]\nconventions: [weight, wa]\n", dir: d))
        #expect(plan.cases.count == 24)
        for n in [1, 2, 3, 5, 30] {
            let parts = (0..<n).map { plan.shard($0, of: n) }
            let all = parts.flatMap { $0.map(\.index) }.sorted()
            #expect(all == Array(0..<24), "shards of \(n) must cover every case once")
            for p in parts {
                let groups = Set(p.map(\.group))
                for other in parts where other.first?.index != p.first?.index {
                    #expect(groups.isDisjoint(with: other.map(\.group)))
                }
            }
        }
    }

    @Test func anEmptyExcludeOrIncludeIsAnEmptyList() throws {
        let d = TempDir()
        let plan = try SweepPlan.expand(try spec("sizes: [16]\nexclude:\ninclude: []\n", dir: d))
        #expect(plan.cases.count == 1)
        #expect(throws: ConfigError.self) { try spec("exclude: 3\n", dir: d) }
    }

    @Test func aSpecThatSelectsNoCaseIsAnError() throws {
        let d = TempDir()
        let s = try spec("sizes: [16]\nblocks: [2]\nprecisions: [4]\nexclude:\n  - {size: 16}\n", dir: d)
        #expect(throws: ConfigError.self) { try SweepPlan.expand(s) }
    }

    @Test func aPerBlockListThatPairsWithNoBlockCountIsAWarning() throws {
        let d = TempDir()
        let plan = try SweepPlan.expand(try spec("blocks: [3]\nprecisions: [4, [8, 4, 2, 4, 8]]\n", dir: d))
        #expect(plan.cases.map(\.config.weightPrecision.description) == ["4"])
        #expect(plan.warnings.count == 1)
        #expect(plan.warnings[0].contains("spec.yaml:2") && plan.warnings[0].contains("no blocks value is 5"))
        // Alone, it selects no case: an error.
        #expect(throws: ConfigError.self) { try SweepPlan.expand(try spec("blocks: [3]\nprecisions: [[8, 4, 2, 4, 8]]\n", dir: d)) }
    }

    @Test func anExcludeThatMatchesNothingIsAWarning() throws {
        let d = TempDir()
        let plan = try SweepPlan.expand(try spec("sizes: [16, 32]\nexclude:\n  - {size: 64}\n", dir: d))
        #expect(plan.cases.count == 2)
        #expect(plan.warnings.count == 1)
        #expect(plan.warnings[0].contains("spec.yaml:3"))
    }
}

@Suite struct ValidationTests {
    func has(_ issues: [ConfigIssue], line: Int?, _ fragment: String) -> Bool {
        issues.contains { $0.line == line && $0.message.contains(fragment) }
    }

    @Test func everyProblemIsReportedAtOnceWithItsLine() {
        let found = specIssues("""
            name: bad
            sizes: [32, 0]
            blocks: [2, 13]
            precisions: [4, 33, {first-last: {edge: 8}}]
            act_bits: [zero]
            conventions: [weight, bitops]
            colour: red
            network: {preset: seed, width: 0.5}
            batch: 0
            """)
        #expect(has(found, line: 2, "size 0 is out of range"))
        #expect(has(found, line: 3, "13 is out of range; expected 1–12"))
        #expect(has(found, line: 4, "33 is out of range"))
        #expect(has(found, line: 4, "missing required key 'inner'"))
        #expect(has(found, line: 5, "'zero' is not a precision"))
        #expect(has(found, line: 6, "convention 'bitops' is unknown"))
        #expect(has(found, line: 7, "unknown key 'colour'"))
        #expect(has(found, line: 8, "width applies to the mobilenet-v1 and mobilenet-v2 presets only"))
        #expect(has(found, line: 9, "batch 0 is out of range"))
        #expect(found.count == 9, "\(found)")
        #expect(found.allSatisfy { $0.file.hasSuffix("spec.yaml") })
    }

    /// The reader's sections (names, network, axes, filters, budgets, history) keep the listing order: the
    /// problems found while reading a value (in the order the keys are read), then the `--set` ones, then
    /// those between values, section by section — whatever order the keys stand in the file.
    @Test func problemsAreListedInTheOrderTheKeysAreRead() throws {
        let d = TempDir()
        try FileManager.default.createDirectory(atPath: d.path + "/db", withIntermediateDirectories: true)
        let text = """
            history: db
            budgets: nowhere.yaml
            include:
              - {blocks: 20}
            sizes: [0]
            network: {preset: mobilenet-v1, width: 9, init: xavier}
            images: ''
            name: a/b
            """
        var found: [String] = []
        do { _ = try spec(text, dir: d, overrides: ["batch=0"]) } catch let e as ConfigError {
            found = e.issues.map { "\($0.line.map(String.init) ?? "-") \($0.message.prefix(24))" }
        }
        #expect(found == [
            "6 network init 'xavier' is",       // while reading: network, then axes
            "5 size 0 is out of range; ",
            "- batch 0 is out of range;",        // --set
            "8 name 'a/b' must be a pla",       // between values: names, network, filters, budgets, history
            "7 images: the folder name ",
            "6 network width 9.0 is out",
            "4 include: blocks for the ",
            "2 budgets 'nowhere.yaml' d",
            "1 history 'db' is a folder",
        ], "\(found)")
    }

    @Test func axisProblems() {
        #expect(has(specIssues("sizes: [32, 32]\n"), line: 1, "listed twice"))
        #expect(has(specIssues("sizes: []\n"), line: 1, "the list is empty"))
        #expect(has(specIssues("precisions: [{uniform: 4, first-last: {edge: 8, inner: 4}}]\n"), line: 1, "one policy per entry"))
        #expect(has(specIssues("precisions: [{ramp: 4}]\n"), line: 1, "unknown key 'ramp'"))
        #expect(has(specIssues("precisions: [model]\n"), line: 1, "only to a network given as a model file"))
        #expect(has(specIssues("network: {preset: resnet}\n"), line: 1, "preset 'resnet' is unknown"))
        #expect(has(specIssues("network: {preset: seed, stem_bits: 8}\n"), line: 1, "has no stem"))
        #expect(has(specIssues("network:\n  model: nowhere.yaml\n"), line: 2, "could not be read"))
        #expect(has(specIssues("include:\n  - {size: 16, blocks: 2, precision: [8, 4, 8]}\n"), line: 2, "list has 3 entries but blocks is 2"))
        #expect(has(specIssues("exclude:\n  - {}\n"), line: 2, "is empty"))
        #expect(has(specIssues("exclude:\n  - {sise: 16}\n"), line: 2, "unknown key 'sise' (did you mean 'size'?)"))
        #expect(has(specIssues("network: {quantization: per-row}\n"), line: 1, "quantization 'per-row' is unknown"))
        #expect(has(specIssues("network:\n  init: xavier\n"), line: 2, "init 'xavier' is unknown"))
        #expect(has(specIssues("network: {weights: missing.safetensors}\n"), line: 1, "does not exist"))
    }

    @Test func overridesReplaceKeysAndNameThemselvesInErrors() throws {
        let d = TempDir()
        let s = try spec("sizes: [16, 32]\nblocks: [2]\nnetwork: {preset: seed}\n", dir: d,
                         overrides: ["sizes=[64]", "network.seed=7", "precisions=[2, {first-last: {edge: 8, inner: 2}}]"])
        #expect(s.sizes.map(\.value) == [64])
        #expect(s.seed == 7)
        #expect(s.precisions.map(\.value) == [.uniform(2), .firstLast(edge: 8, inner: 2)])
        #expect(s.sizes[0].origin.file == "--set sizes=[64]")
        #expect(s.resolvedJSON.contains("\"sizes\":[64]"))

        let bad = specIssues("sizes: [16]\n", overrides: ["sizes=[0]", "sizez=3", "blocks", "network.preset=lenet"])
        #expect(bad.contains { $0.file == "--set sizes=[0]" && $0.line == nil && $0.message.contains("size 0 is out of range") })
        #expect(bad.contains { $0.file == "--set sizez=3" && $0.message.contains("did you mean 'sizes'") })
        #expect(bad.contains { $0.file == "--set blocks" && $0.message.contains("expected key=value") })
        #expect(bad.contains { $0.file == "--set network.preset=lenet" && $0.message.contains("unknown") })
        #expect(bad.count == 4, "\(bad)")
    }

    @Test func overridingTheModelReplacesThePreset() throws {
        let d = TempDir()
        d.write("m.yaml", "blocks:\n  - {out_channels: 8, stride: 1, bits: 8}\n")
        let s = try spec("network: {preset: seed}\nblocks: [1]\n", dir: d, overrides: ["network.model=m.yaml", "precisions=[model]"])
        guard case .model(let path, _) = s.network.value else {
            Issue.record("expected a model family")
            return
        }
        #expect(path == "m.yaml")
    }
}

@Suite struct ShardParsingTests {
    @Test func shardsAreNumberedFromZero() throws {
        #expect(try Shard(parsing: "0/4") == Shard(index: 0, count: 4))
        #expect(try Shard(parsing: "3/4") == Shard(index: 3, count: 4))
        for bad in ["4/4", "-1/4", "1/0", "1-4", "a/b", "1/2/3", ""] {
            #expect(throws: SweepError.self, "\(bad)") { try Shard(parsing: bad) }
        }
    }
}
