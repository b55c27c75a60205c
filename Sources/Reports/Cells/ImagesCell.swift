import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `table: images`: the logit SQNR of every case on every image.
struct ImagesCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try imageBlocks(pick(cell, selected))
    }

    /// One table: a row per case, a column per image, the logit SQNR (dB) in each cell and ✗ where the
    /// top-1 class differs from the float twin's.
    func imageBlocks(_ cases: [CaseResult]) -> [Block] {
        let ran = cases.filter { !$0.images.isEmpty }
        guard !ran.isEmpty else { return [.paragraph([.emphasis("No image ran in these cases.")])] }
        let files = Array(Set(ran.flatMap { $0.images.map(\.file) })).sorted()
        var columns: [Table.Column] = [.init("#", numeric: true), .init("configuration")]
        columns += files.map { Table.Column($0, unit: "dB", numeric: true) }
        let rows: [[String]] = ran.map { c in
            [String(c.index), c.config.label] + files.map { f in
                guard let im = c.images.first(where: { $0.file == f }) else { return "—" }
                let v = im.sqnrDB.map { NumberText.fixed($0, 2, minus: .typographic) } ?? "∞"
                return im.top1Agree ? v : v + " ✗"
            }
        }
        let table = Block.table(Table(caption: "Logit SQNR per image and case", label: "images", columns: columns, rows: rows))
        let disagreements = ran.reduce(0) { $0 + $1.images.filter { !$0.top1Agree }.count }
        let intro = Block.paragraph([.text("Logit SQNR in dB of each case (rows) on each image (columns), against the float twin; “∞” is bit-exact. ✗ marks an image whose top-1 class differs from the float twin's (\(disagreements) of \(ran.reduce(0) { $0 + $1.images.count }) here).")])
        if ran.count > CellExecutor.foldCasesAbove {
            return [intro, .details(summary: "SQNR of \(ran.count) cases on \(files.count) images", blocks: [table])]
        }
        return [intro, table]
    }
}
