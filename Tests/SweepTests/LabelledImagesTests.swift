import BitOpsCore
import BitSweepConfig
import Foundation
import Results
import Testing
@testable import Sweep

/// Labelled image folders (ImageFolder layout) and the accuracy they give each case.
@Suite struct LabelledImagesTests {
    static let origin = SpecOrigin(file: "spec.yaml", line: 2)

    /// The fake engine, also reporting a float twin: its top five are the quantized network's in reverse
    /// order, so the twin's top-1 is the quantized network's fifth class.
    struct TwinFake: CaseEvaluator {
        var inner = FakeEvaluator()
        var version: String { inner.version }
        var calibrationVersion: String { inner.calibrationVersion }
        func decode(path: String) throws -> [UInt8] { try inner.decode(path: path) }
        func prepare(_ image: [UInt8], size: Int) throws -> [UInt8] { try inner.prepare(image, size: size) }
        func evaluate(_ job: EvaluationJob, images: [[UInt8]]) throws -> Evaluation {
            var e = try inner.evaluate(job, images: images)
            for i in e.images.indices { e.images[i].floatTop5 = e.images[i].top5.reversed() }
            return e
        }
    }

    @Test func sortedClassFoldersAreTheClassesAndEveryImageKeepsItsFolderAsLabel() throws {
        let d = TempDir()
        let folder = d.fakeImages(["zebra/z1.png", "ant/a1.png", "ant/deep/a2.png", "Moth/m1.png", ".hidden/x.png"])
        let set = try ImageSet.scan(folder: folder, origin: Self.origin)
        // Byte order: upper case before lower case (as Python's sorted()); hidden folders are no class.
        #expect(set.classes == ["Moth", "ant", "zebra"])
        #expect(set.files == ["Moth/m1.png", "ant/a1.png", "ant/deep/a2.png", "zebra/z1.png"])
        #expect(set.files.map(set.label(of:)) == [0, 1, 1, 2])
    }

    @Test func classesTxtOrdersTheClassesAndFilesOutsideItsFoldersAreSkippedWithTheReason() throws {
        let d = TempDir()
        let folder = d.fakeImages(["cat/c.png", "dog/d.png", "bird/b.png", "stray.png"])
        d.write("images/classes.txt", "dog\n\n  cat  \n")
        let set = try ImageSet.scan(folder: folder, origin: Self.origin)
        #expect(set.classes == ["dog", "cat"])
        #expect(set.files == ["cat/c.png", "dog/d.png"])
        #expect(set.files.map(set.label(of:)) == [1, 0])
        #expect(set.skipped.map(\.file) == ["bird/b.png", "stray.png"])
        #expect(set.skipped[0].reason == "its folder 'bird' is not a class that classes.txt names")
        #expect(set.skipped[1].reason == "not in a class folder (classes.txt names the classes)")
    }

    @Test func aFolderWithLooseFilesIsUnlabelledAndWalkedAsBefore() throws {
        let d = TempDir()
        let folder = d.fakeImages(["a.png", "sub/b.png"])
        let set = try ImageSet.scan(folder: folder, origin: Self.origin)
        #expect(set.classes == nil)
        #expect(set.files == ["a.png", "sub/b.png"])
        #expect(set.files.map(set.label(of:)) == [nil, nil])
        // The digest of an unlabelled set is the same formula as before labels existed.
        let expected = Digest.sha256(set.files.map { "\($0)\t\(Digest.sha256(file: set.path($0))!)\n" }.joined())
        #expect(set.setDigest == expected)
    }

    @Test func theSameFilesLabelledDifferentlyHaveDifferentDigests() throws {
        let d = TempDir()
        let folder = d.fakeImages(["a/1.png", "b/2.png"])
        let sorted = try ImageSet.scan(folder: folder, origin: Self.origin).setDigest
        d.write("images/classes.txt", "b\na\n")
        let reordered = try ImageSet.scan(folder: folder, origin: Self.origin)
        #expect(reordered.files == ["a/1.png", "b/2.png"])
        #expect(reordered.setDigest != sorted)
    }

    @Test func anEmptyClassFolderIsAnInputErrorNamingIt() throws {
        let d = TempDir()
        let folder = d.fakeImages(["cat/c.png"])
        try FileManager.default.createDirectory(atPath: d.sub("images/dog/.thumbs"), withIntermediateDirectories: true)
        d.write("images/dog/.thumbs/.keep", "")
        #expect {
            try ImageSet.scan(folder: folder, origin: Self.origin)
        } throws: { e in
            let s = e as? SweepError
            return s?.isInputError == true && s?.description == "\(folder)/dog: empty class folder; a labelled images folder needs at least one image in every class folder"
        }
    }

    @Test func classesTxtNamingAMissingFolderIsAnInputErrorNamingItsLine() throws {
        let d = TempDir()
        let folder = d.fakeImages(["cat/c.png", "dog/d.png"])
        d.write("images/classes.txt", "cat\ndog\nhorse\n")
        #expect {
            try ImageSet.scan(folder: folder, origin: Self.origin)
        } throws: { e in
            (e as? SweepError)?.description == "\(folder)/classes.txt:3: names the class folder 'horse', which is not a folder in \(folder)"
                && (e as? SweepError)?.isInputError == true
        }
        d.write("images/classes.txt", "cat\ndog\ncat\n")
        #expect {
            try ImageSet.scan(folder: folder, origin: Self.origin)
        } throws: { e in
            (e as? SweepError)?.description == "\(folder)/classes.txt:3: names the class 'cat' a second time; expected each class folder once"
        }
    }

    @Test func accuracyCountsLabelsAmongTheTopOneAndTopFive() {
        func image(_ label: Int?, _ top5: [Int], _ float: [Int]?) -> ImageResult {
            ImageResult(file: "", top1: top5[0], top5: top5, logits: [], sqnrDB: nil, cosine: 1, top1Agree: true,
                        blockSQNR: [], label: label, floatTop5: float)
        }
        let images = [
            image(3, [3, 1, 2, 0, 4], [1, 3, 2, 0, 4]),   // q top-1 ✓        f top-1 ✗, top-5 ✓
            image(4, [3, 1, 2, 0, 4], [4, 3, 2, 0, 1]),   // q top-1 ✗, top-5 ✓ f top-1 ✓
            image(9, [3, 1, 2, 0, 4], [5, 6, 7, 8, 9]),   // q ✗ ✗              f top-1 ✗, top-5 ✓
            image(nil, [9, 1, 2, 0, 4], [9, 3, 2, 0, 1]), // unlabelled: not counted
        ]
        let a = AccuracySummary(images: images)
        #expect(a?.images == 3)
        #expect(a?.top1Correct == 1)
        #expect(a?.top5Correct == 2)
        #expect(a?.floatTop1Correct == 1)
        #expect(a?.floatTop5Correct == 3)
        #expect(a?.top5 == 2.0 / 3.0)
        #expect(a?.floatTop5 == 1.0)
        #expect(AccuracySummary(images: [images[3]]) == nil)
        // Without the twin's classes, the float figures are absent.
        #expect(AccuracySummary(images: [image(3, [3], nil)])?.floatTop1Correct == nil)
    }

    static let grid = """
        name: labelled
        images: images
        sizes: [8]
        blocks: [1, 2]
        precisions: [4]
        """

    @Test func aLabelledSweepRecordsLabelsAndAccuracyEveryCaseFromItsOwnImages() throws {
        let d = TempDir()
        let s = try spec(Self.grid, dir: d)
        d.fakeImages(["cat/c1.png", "cat/c2.png", "dog/d1.png", "emu/e1.png", "emu/junk.txt"])
        d.write("images/emu/junk.txt", "not an image")
        let summary = try SweepRunner.run(try SweepPlan.expand(s), options: SweepOptions(
            outputDirectory: d.sub("out"), jobs: 1, progress: .quiet, commandLine: ["test"], bitsweepVersion: "test", cores: 1),
            evaluator: TwinFake())
        let labelOf = ["cat": 0, "dog": 1, "emu": 2]
        for c in summary.results.cases {
            #expect(c.images.map(\.file) == ["cat/c1.png", "cat/c2.png", "dog/d1.png", "emu/e1.png"])
            #expect(c.images.map(\.label) == c.images.map { labelOf[String($0.file.prefix(3))] })
            // Independently: count the labels among each image's classes.
            let top1 = c.images.filter { $0.top1 == $0.label }.count
            let top5 = c.images.filter { $0.top5.contains($0.label!) }.count
            let floatTop1 = c.images.filter { $0.top5.last == $0.label }.count
            #expect(c.accuracy?.images == 4)
            #expect(c.accuracy?.top1Correct == top1)
            #expect(c.accuracy?.top5Correct == top5)
            #expect(c.accuracy?.floatTop1Correct == floatTop1)
            #expect(c.accuracy?.floatTop5Correct == top5)
            #expect(c.accuracy?.top1 == Double(top1) / 4)
        }
        // What was written reads back the same, and the CSV carries the accuracy columns.
        #expect(try ResultsStore.load(d.sub("out")) == summary.results)
        let csv = try String(contentsOfFile: d.sub("out/results.csv"), encoding: .utf8)
        #expect(csv.hasPrefix((ResultsSet.csvColumns + ResultsSet.accuracyColumns + ResultsSet.kernelColumns + ResultsSet.timingSampleColumns).joined(separator: ",") + "\n"))
        // A second run reuses every case (its accuracy checks against its images).
        let again = try SweepRunner.run(try SweepPlan.expand(s), options: SweepOptions(
            outputDirectory: d.sub("out"), jobs: 1, progress: .quiet, commandLine: ["test"], bitsweepVersion: "test", cores: 1),
            evaluator: TwinFake())
        #expect(again.reused == summary.results.cases.count)
        #expect(again.results == summary.results)
    }

    @Test func anUnlabelledSweepHasNoLabelsNoTwinClassesAndNoAccuracy() throws {
        let d = TempDir()
        let s = try spec(Self.grid, dir: d)
        d.fakeImages()
        let summary = try SweepRunner.run(try SweepPlan.expand(s), options: SweepOptions(
            outputDirectory: d.sub("out"), jobs: 1, progress: .quiet, commandLine: ["test"], bitsweepVersion: "test", cores: 1),
            evaluator: TwinFake())
        for c in summary.results.cases {
            #expect(c.accuracy == nil)
            #expect(c.images.allSatisfy { $0.label == nil && $0.floatTop5 == nil })
        }
        let json = try String(contentsOfFile: d.sub("out/results.json"), encoding: .utf8)
        #expect(!json.contains("accuracy") && !json.contains("\"label\"") && !json.contains("float_top5"))
        let csv = try String(contentsOfFile: d.sub("out/results.csv"), encoding: .utf8)
        #expect(csv.hasPrefix((ResultsSet.csvColumns + ResultsSet.kernelColumns + ResultsSet.timingSampleColumns).joined(separator: ",") + "\n"))
    }

    @Test func moreClassFoldersThanTheNetworkHasClassesIsAnInputError() throws {
        let d = TempDir()
        let s = try spec(Self.grid + "\nnetwork: {classes: 2}", dir: d)
        d.fakeImages(["a/1.png", "b/1.png", "c/1.png"])
        #expect {
            try run(s, out: d.sub("out"), evaluator: FakeEvaluator())
        } throws: { e in
            guard let s = e as? SweepError else { return false }
            return s.isInputError && s.description.contains("has 3 class folders, more than the 2 classes")
        }
    }
}
