import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `table: failures`: failed cases and skipped images of the whole results set.
struct FailuresCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        failureBlocks()
    }

    func failureBlocks() -> [Block] {
        let failed = results.cases.filter { $0.error != nil }
        var blocks: [Block] = []
        if failed.isEmpty && results.skippedImages.isEmpty {
            return [.paragraph([.text("No case failed and no image was skipped.")])]
        }
        if failed.isEmpty {
            blocks.append(.paragraph([.text("No case failed.")]))
        } else {
            blocks.append(.table(Table(caption: "Failed cases", label: "failed-cases",
                                       columns: [.init("#", numeric: true), .init("case"), .init("configuration"), .init("reason")],
                                       rows: failed.map { [String($0.index), String($0.id.prefix(8)), $0.config.label, $0.error ?? ""] })))
        }
        if results.skippedImages.isEmpty {
            blocks.append(.paragraph([.text("No image was skipped.")]))
        } else {
            blocks.append(.paragraph([.text("\(results.skippedImages.count) image\(results.skippedImages.count == 1 ? " was" : "s were") skipped:")]))
            blocks.append(.table(Table(caption: "Skipped images", label: "skipped-images",
                                       columns: [.init("image"), .init("reason")],
                                       rows: results.skippedImages.map { [$0.file, $0.reason] })))
        }
        return blocks
    }
}
