import Foundation
import MixedPrecision

/// The written form of a search budget, `KIND<=VALUE` (`bitops<=1.5G`, `weights<=1MiB`, `act-memory<=512KiB`,
/// `time<=2ms`): one grammar for `bitsweep search --budget` and a sweep spec's `search: budget:`.
public enum SearchBudgetText {
    /// What is wrong with a budget's text, in words (the caller says where it was written).
    public struct Problem: Error, Sendable {
        public var message: String
    }

    public static func parse(_ text: String) throws -> SearchBudget {
        let kinds = SearchBudget.Kind.allCases.map(\.rawValue).joined(separator: ", ")
        guard let r = text.range(of: "<=") else {
            throw Problem(message: "expected KIND<=VALUE with KIND one of \(kinds) (e.g. bitops<=1.5G)")
        }
        let name = text[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
        let value = String(text[r.upperBound...])
        guard let kind = SearchBudget.Kind(rawValue: name) else {
            throw Problem(message: "unknown kind '\(name)'; expected one of \(kinds)")
        }
        let units: [String: Double], expected: String
        switch kind {
        case .bitops: (units, expected) = (BudgetProfiles.bitOpsUnits, "a BitOps count such as 1.5G")
        case .weights, .actMemory: (units, expected) = (BudgetProfiles.byteUnits, "bytes such as 1MiB or 512KiB")
        case .time: (units, expected) = (BudgetProfiles.timeUnits, "a time such as 2ms")
        }
        switch BudgetProfiles.quantity(value, units: units, expected: expected) {
        case .success(let v):
            guard v > 0, v.isFinite else { throw Problem(message: "the limit must be positive") }
            return SearchBudget(kind: kind, limit: v, text: text)
        case .failure(let e):
            throw Problem(message: e.message)
        }
    }
}
