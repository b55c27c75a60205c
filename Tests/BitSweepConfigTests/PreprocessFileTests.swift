import BitOpsCore
import Foundation
import Testing
@testable import BitSweepConfig

struct PreprocessFileTests {
    @Test func readsTheSidecar() throws {
        let p = try PreprocessFile.parse("""
        resize: 256
        crop: 224
        mean: [0.485, 0.456, 0.406]
        std: [0.229, 0.224, 0.225]
        channel_order: BGR
        """)
        #expect(p == Preprocessing(resize: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channelOrder: .bgr))
        #expect(try PreprocessFile.parse("resize: 40\n") == Preprocessing(resize: 40))
    }

    /// Every problem with its line, all at once.
    @Test func errorsWithLines() {
        do {
            _ = try PreprocessFile.parse("resize: big\nmean: [0.5, 0.5]\nstd: [1, -1, 1]\nchanel_order: rgb\n", file: "m.preprocess.yaml")
            Issue.record("no error")
        } catch {
            #expect("\(error)" == """
            m.preprocess.yaml:4: preprocessing: unknown key 'chanel_order' (did you mean 'channel_order'?); expected one of resize, crop, mean, std, channel_order
            m.preprocess.yaml:1: resize 'big' is not an integer; expected a side in pixels, 1–16384
            m.preprocess.yaml:2: mean has 2 values; expected 3 (one per channel)
            m.preprocess.yaml:3: std -1.0 must be positive
            """)
        }
    }

    @Test func sidecarPath() {
        #expect(PreprocessFile.sidecar(of: "models/m.onnx") == "models/m.preprocess.yaml")
        #expect(PreprocessFile.sidecar(of: "m.onnx") == "m.preprocess.yaml")
        #expect(PreprocessFile.sidecar(of: "/a/b.c/net.yaml") == "/a/b.c/net.preprocess.yaml")
    }
}
