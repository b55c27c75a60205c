import Foundation

/// Values a sweep run makes once per key and then reuses (`EngineEvaluator.forOneRun()` gives each run its own
/// memos, dropped with the run): a calibrated case's activation ranges (`CalibrationMemo`), a graph network's
/// weights (`GraphWeightsMemo`). What is made must be a deterministic function of the key, so that a value looked
/// up here is the one making it again would give.
final class RunMemo<Key: Hashable, Value>: @unchecked Sendable {
    /// One key's value; its lock makes a second caller wait for a value being made instead of making it too.
    private final class Entry: @unchecked Sendable {
        let lock = NSLock()
        var value: Value?
    }

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]

    /// The value of `key`: made by `make` the first time (a failure is not kept: the next caller makes it again,
    /// as it would without the memo), then the same value.
    func value(_ key: Key, make: () throws -> Value) throws -> Value {
        lock.lock()
        let entry: Entry
        if let e = entries[key] { entry = e } else {
            entry = Entry()
            entries[key] = entry
        }
        lock.unlock()
        entry.lock.lock(); defer { entry.lock.unlock() }
        if let v = entry.value { return v }
        let v = try make()
        entry.value = v
        return v
    }
}
