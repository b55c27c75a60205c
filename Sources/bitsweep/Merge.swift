import ArgumentParser
import Foundation
import Sweep

/// `bitsweep merge`: combine the results folders of a sharded sweep into the results of the whole sweep.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the shard folders of one sweep into exactly the results of an unsharded run.",
        discussion: """
        Every folder must be a finished `bitsweep sweep --shard i/n` of the same spec, images and engine, and \
        all n shards must be given. results.json and results.csv equal those of an unsharded run apart from \
        timings; run.json records the merge; the shards' case caches are copied into DIR/cases.
        """)

    @Option(help: ArgumentHelp("The merged results folder.", valueName: "dir"))
    var out: String

    @Argument(help: ArgumentHelp("The shard folders.", valueName: "shard-dir"))
    var shards: [String]

    @Flag(help: "When another run is writing to the merged folder, wait for it to finish instead of stopping.")
    var wait = false

    func run() throws {
        guard !shards.isEmpty else { throw InputError("give the shard folders to merge") }
        // Shard folders that are missing, unfinished or do not fit together are input errors (exit 2); a folder
        // in use by another run is a failure (exit 1) unless --wait.
        let merged = try ShardMerge.merge(shardDirectories: shards, into: out, commandLine: CommandLine.arguments,
                                          wait: wait) { pid in
            FileHandle.standardError.write(Data("\(out): folder in use by PID \(pid); waiting for it to finish\n".utf8))
        }
        print("merged \(shards.count) folder\(shards.count == 1 ? "" : "s"): \(merged.cases.count) cases → \((out as NSString).appendingPathComponent("results.json"))")
    }
}
