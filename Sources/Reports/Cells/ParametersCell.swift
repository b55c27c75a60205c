import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `table: parameters`: what the report was made from (spec, images, versions, commands).
struct ParametersCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        parametersBlocks(cell, parameters)
    }

    func parametersBlocks(_ cell: TemplateCell, _ p: Parameters) -> [Block] {
        var rows: [[String]] = [
            ["sweep", p.name],
            ["results", p.resultsDir],
            ["template", p.template],
            ["cases", String(p.cases)],
            ["images", String(p.imageCount) + (results.skippedImages.isEmpty ? "" : " (\(results.skippedImages.count) skipped)")],
            ["BitSweep", p.bitsweepVersion],
            ["engine", p.engineVersion],
            ["commit", p.commit],
            ["machine", p.machine],
            ["sweep date", p.date],
            ["spec hash", p.specHash],
        ]
        if let s = p.shard { rows.append(["shard", s]) }
        if let grid = run?.gridCases, grid != p.cases { rows.insert(["grid cases", "\(grid) (this folder holds \(p.cases))"], at: 4) }
        var blocks: [Block] = [
            .table(Table(caption: "Parameters of this report", label: "parameters",
                         columns: [.init("parameter"), .init("value")], rows: rows)),
            .paragraph([.text("Regenerate this report:")]),
            .code(language: "sh", text: p.reportCommand),
        ]
        if !p.sweepCommand.isEmpty {
            blocks += [.paragraph([.text("The sweep ran as:")]), .code(language: "sh", text: p.sweepCommand)]
        }
        let specMode = cell.options["spec"] ?? "folded"
        if !p.spec.isEmpty, specMode != "hidden" {
            let code = Block.code(language: "json", text: p.spec)
            blocks.append(specMode == "shown" ? code : .details(summary: "Resolved sweep spec (JSON)", blocks: [code]))
        }
        let imagesMode = cell.options["images"] ?? "folded"
        if !p.images.isEmpty, imagesMode != "hidden" {
            let t = Block.table(Table(caption: "Image set", label: "images",
                                      columns: [.init("image"), .init("SHA-256")],
                                      rows: p.images.map { [$0.file, $0.digest] }))
            blocks.append(imagesMode == "shown" ? t : .details(summary: "Image set: \(p.images.count) files with SHA-256 digests", blocks: [t]))
        }
        return blocks
    }
}
