import Foundation
import Testing

/// `bitsweep infer` on folders: a labelled folder (ImageFolder layout) gives each image its class and prints
/// the accuracy; an unlabelled folder does not; a broken labelled folder is an input error.
@Suite struct LabelledInferCLITests {
    /// A scratch folder, removed at the end.
    final class Scratch {
        let path: String
        init() throws {
            path = NSTemporaryDirectory() + "bitsweep-cli-labels-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

        /// Copies repository images into `folder/<class>/<name>`.
        func labelled(_ folder: String, _ layout: [String: [String]]) throws -> String {
            for (cls, images) in layout {
                let dir = sub("\(folder)/\(cls)")
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for (i, img) in images.enumerated() {
                    let src = CLI.packageRoot.appendingPathComponent("Inputs/images/\(img)").path
                    try FileManager.default.copyItem(atPath: src, toPath: "\(dir)/\(i)-\(img)")
                }
            }
            return sub(folder)
        }
    }

    static let network = ["--blocks", "2", "--bits", "3", "--size", "8", "--seed", "7"]

    /// Indices of the five largest values, largest first, ties to the lower index.
    static func top5(_ v: [Double]) -> [Int] {
        Array(v.indices.sorted { v[$0] > v[$1] || (v[$0] == v[$1] && $0 < $1) }.prefix(5))
    }

    @Test func aLabelledFolderGivesEveryImageItsClassAndTheAccuracyOfBothNetworks() throws {
        let s = try Scratch()
        let folder = try s.labelled("set", [
            "cat": ["astronaut-rgb.png", "camera-grey.png"],
            "dog": ["chelsea.jpg", "coffee-palette.png"],
            "emu": ["rocket-progressive.jpg", "camera-grey.png"],
        ])
        let r = try CLI.run(["infer"] + Self.network + ["--format", "json", folder])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["classes"] as? [String] == ["cat", "dog", "emu"])
        let images = try #require(doc["images"] as? [[String: Any]])
        #expect(images.count == 6)
        var top1 = 0, top5 = 0, floatTop1 = 0, floatTop5 = 0
        for image in images {
            let file = try #require(image["file"] as? String)
            // The class from the path alone: the folder's position among the sorted class folders.
            let folderName = ((file as NSString).deletingLastPathComponent as NSString).lastPathComponent
            let label = try #require(["cat", "dog", "emu"].firstIndex(of: folderName))
            #expect(image["label"] as? Int == label)
            #expect(image["class"] as? String == folderName)
            let logits = try #require(image["logits"] as? [Double])
            let best = Self.top5(logits)
            if best[0] == label { top1 += 1 }
            if best.contains(label) { top5 += 1 }
            let twin = try #require((image["fidelity"] as? [String: Any])?["float_top5"] as? [Int])
            if twin.first == label { floatTop1 += 1 }
            if twin.contains(label) { floatTop5 += 1 }
        }
        let accuracy = try #require(doc["accuracy"] as? [String: Any])
        #expect(accuracy["images"] as? Int == 6)
        #expect(accuracy["top1_correct"] as? Int == top1)
        #expect(accuracy["top5_correct"] as? Int == top5)
        #expect(accuracy["float_top1_correct"] as? Int == floatTop1)
        #expect(accuracy["float_top5_correct"] as? Int == floatTop5)
        #expect(accuracy["top1"] as? Double == Double(top1) / 6)
        // Five of the seed network's ten classes: top-5 is not trivially every image.
        #expect(top5 <= 6)

        // The table prints the same counts.
        let t = try CLI.run(["infer"] + Self.network + [folder])
        #expect(t.status == 0)
        #expect(t.stdout.contains("accuracy on 6 labelled images (3 classes):"))
        let quantizedRow = t.stdout.split(separator: "\n").first { $0.hasPrefix("quantized ") && $0.contains("%") }.map(String.init) ?? ""
        #expect(quantizedRow.contains("(\(top1)/6)") && quantizedRow.contains("(\(top5)/6)"), "\(t.stdout)")
    }

    @Test func classesTxtOrdersTheClasses() throws {
        let s = try Scratch()
        let folder = try s.labelled("set", ["cat": ["chelsea.jpg"], "dog": ["camera-grey.png"]])
        try Data("dog\ncat\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/classes.txt"))
        let r = try CLI.run(["infer"] + Self.network + ["--format", "json", folder])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["classes"] as? [String] == ["dog", "cat"])
        let images = try #require(doc["images"] as? [[String: Any]])
        #expect(images.map { $0["label"] as? Int } == [1, 0])   // cat/…, dog/… in file order
    }

    @Test func anUnlabelledFolderRunsEveryImageWithoutAccuracy() throws {
        let r = try CLI.run(["infer"] + Self.network + ["--format", "json", "Inputs/images"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["accuracy"] == nil && doc["classes"] == nil)
        let images = try #require(doc["images"] as? [[String: Any]])
        let expected = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.appendingPathComponent("Inputs/images").path)
            .filter { !$0.hasPrefix(".") }.sorted().map { "Inputs/images/\($0)" }
        #expect(images.map { $0["file"] as? String } == expected)
        #expect(images.allSatisfy { $0["label"] == nil })
    }

    @Test func anEmptyClassFolderOrABadClassesTxtIsAnInputErrorOfOneLine() throws {
        let s = try Scratch()
        let folder = try s.labelled("set", ["cat": ["chelsea.jpg"]])
        try FileManager.default.createDirectory(atPath: "\(folder)/dog", withIntermediateDirectories: true)
        var r = try CLI.run(["infer"] + Self.network + [folder])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "\(folder)/dog: empty class folder; a labelled images folder needs at least one image in every class folder\n")

        try FileManager.default.removeItem(atPath: "\(folder)/dog")
        try Data("cat\nhorse\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/classes.txt"))
        r = try CLI.run(["infer"] + Self.network + [folder])
        #expect(r.status == 2)
        #expect(r.stderr == "\(folder)/classes.txt:2: names the class folder 'horse', which is not a folder in \(folder)\n")

        // The same folder in a sweep: the same line, exit 2, nothing written.
        let spec = s.sub("spec.yaml")
        try Data("name: labels\nimages: \(folder)\nsizes: [8]\nblocks: [1]\nprecisions: [4]\n".utf8).write(to: URL(fileURLWithPath: spec))
        r = try CLI.run(["sweep", spec, "--out", s.sub("out")])
        #expect(r.status == 2)
        #expect(r.stderr.hasSuffix("\(folder)/classes.txt:2: names the class folder 'horse', which is not a folder in \(folder)\n"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.sub("out/results.json")))
    }
}
