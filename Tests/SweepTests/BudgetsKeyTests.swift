import BitSweepConfig
import Foundation
import Testing
@testable import Sweep

/// The sweep spec's optional `budgets: FILE` key: checked with the spec (file:line), resolved against the
/// spec's folder, and recorded in the resolved spec only when given.
@Suite struct BudgetsKeyTests {
    static let profiles = """
        profiles:
          tiny:
            max_bitops: 10M
            max_weight_storage: 64 KiB
            max_activation_memory: 32 KiB
        """

    @Test func aValidProfilesFileIsResolvedAgainstTheSpecFolderAndRecorded() throws {
        let d = TempDir()
        d.write("limits/b.yaml", Self.profiles)
        let s = try spec("sizes: [16]\nblocks: [2]\nbudgets: limits/b.yaml\n", dir: d)
        #expect(s.budgets?.value == "limits/b.yaml")
        #expect(s.budgets?.origin.line == 3)
        #expect(s.budgetsPath == d.sub("limits/b.yaml"))
        // The resolved spec carries the path to open (the report reads it from run.json).
        let obj = try JSONSerialization.jsonObject(with: Data(s.resolvedJSON.utf8)) as? [String: Any]
        #expect(obj?["budgets"] as? String == d.sub("limits/b.yaml"))
    }

    @Test func withoutTheKeyTheResolvedSpecHasNoBudgetsEntry() throws {
        let d = TempDir()
        let s = try spec("sizes: [16]\nblocks: [2]\n", dir: d)
        #expect(s.budgets == nil && s.budgetsPath == nil)
        let obj = try JSONSerialization.jsonObject(with: Data(s.resolvedJSON.utf8)) as? [String: Any]
        #expect(obj?.keys.contains("budgets") == false)
    }

    @Test func aMissingFileIsAnErrorOnTheKeysLine() {
        let found = specIssues("sizes: [16]\nblocks: [2]\n\nbudgets: nowhere.yaml\n")
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.line == 4)
        #expect(found.first?.file.hasSuffix("spec.yaml") == true)
        #expect(found.first?.message.contains("budgets 'nowhere.yaml' does not exist") == true)
    }

    @Test func aFolderOrAnEmptyNameIsAnError() {
        let dirIssues = specIssues("budgets: sub\n", files: ["sub/x.txt": "x"])
        #expect(dirIssues.contains { $0.line == 1 && $0.message.contains("does not exist or cannot be read") }, "\(dirIssues)")
        let empty = specIssues("sizes: [16]\nbudgets: ''\n")
        #expect(empty.contains { $0.line == 2 && $0.message.contains("the file name is empty") }, "\(empty)")
        let notText = specIssues("budgets: [a, b]\n")
        #expect(notText.contains { $0.line == 1 }, "\(notText)")
    }

    @Test func badProfilesAreReportedWithTheProfilesFilesLinesAndTheSpecsLine() {
        let bad = """
            profiles:
              mcu:
                max_bitops: lots
                max_weight_storage: 1 MiB
                max_activation_memory: 256 KiB
                max_flash: 2 MiB
            """
        let found = specIssues("name: x\nsizes: [16]\nbudgets: b.yaml\n", files: ["b.yaml": bad])
        // The profiles file's own problems, each with its line there …
        #expect(found.contains { $0.file.hasSuffix("b.yaml") && $0.line == 3 }, "\(found)")
        #expect(found.contains { $0.file.hasSuffix("b.yaml") && $0.line == 6 && $0.message.contains("max_flash") }, "\(found)")
        // … and the spec's line that named the file.
        #expect(found.contains { $0.file.hasSuffix("spec.yaml") && $0.line == 3 && $0.message.contains("b.yaml") }, "\(found)")
    }

    @Test func budgetsProblemsComeWithEveryOtherProblemAtOnce() {
        let found = specIssues("sizes: [0]\nbudgets: missing.yaml\nbatch: 0\n")
        #expect(Set(found.compactMap(\.line)) == [1, 2, 3], "\(found)")
    }

    @Test func anOverrideNamesItselfAndResolvesAgainstTheSpecFolder() throws {
        let d = TempDir()
        d.write("p.yaml", Self.profiles)
        let s = try spec("sizes: [16]\nblocks: [2]\n", dir: d, overrides: ["budgets=p.yaml"])
        #expect(s.budgetsPath == d.sub("p.yaml"))
        let found = specIssues("sizes: [16]\n", overrides: ["budgets=gone.yaml"])
        #expect(found.contains { $0.file == "--set budgets=gone.yaml" && $0.line == nil && $0.message.contains("does not exist") }, "\(found)")
    }

    @Test func theShippedDefaultSpecNamesTheShippedProfiles() throws {
        let s = try SweepSpecReader.load(path: (repoRoot as NSString).appendingPathComponent("Inputs/sweep.yaml"))
        #expect(s.budgets?.value == "budgets.yaml")
        let profiles = try BudgetProfiles.load(path: s.budgetsPath!)
        #expect(!profiles.isEmpty)
    }
}
