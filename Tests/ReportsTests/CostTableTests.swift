import BitOpsCore
import Testing
@testable import Reports

/// `bitsweep calc`'s table rows (the full outputs are pinned by the CLI snapshots in Tests/CLITests).
struct CostTableTests {
    /// Each block's subtotal row and the total row add up (shares sum to 100%).
    @Test func tableSubtotalsAreSums() throws {
        let r = try Preset.seed.network(PresetOptions(blocks: 3)).cost(inputSize: 32)
        let rows = r.tableRows(.raw)
        #expect(rows.filter { $0.role == .subtotal }.count == 3)
        let layerBitops = rows.filter { $0.role == .layer }.map { Int($0.cells[8])! }.reduce(0, +)
        #expect(Int(rows.last!.cells[8])! == layerBitops)
    }
}
