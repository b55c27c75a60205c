import Analysis
import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `table: budget`: the budget blocks for the report's profiles (none without profiles, so the report has
/// no empty section). Options: `chart: false`, `fold: N`.
struct BudgetCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try budgetBlocks(cell)
    }

    func budgetBlocks(_ cell: TemplateCell) throws -> [Block] {
        guard let budgets, !budgets.profiles.isEmpty else { return [] }
        var options = BudgetRendering.Options()
        options.charts = cell.options["chart"] != "false"
        options.fold = cell.options["fold"].flatMap(Int.init) ?? 10
        options.precisionOrder = precisionOrder(results.cases)
        options.colors = colors
        options.figureSize = figureWidth.size
        return try BudgetRendering.blocks(Analysis.budget(results, profiles: budgets.profiles), results: results,
                                          budgets: budgets, options: options)
    }
}
