import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import Sweep

/// Image arguments as `infer` takes them (its positional images, `export --calibration-images`): a file stands
/// for itself, a folder for the images below it (`ImageSet`; labelled in the ImageFolder layout). Images named
/// on the command line must be readable (an input error); an image found in a folder that cannot be decoded is
/// skipped with the reason, as a sweep skips it.
struct ImageArguments {
    /// One image: the name it is shown by, its path, and its class when it came from a labelled folder.
    struct Input {
        var file: String
        var path: String
        var label: Int?
    }

    /// The command-line arguments the images came from.
    var arguments: [String]
    var inputs: [Input] = []
    /// The classes of the labelled folders (which must agree); nil when no folder is labelled.
    var classes: [String]? = nil
    /// What was skipped, with the reason (folder entries that are not images, images that cannot be decoded).
    var skipped: [(file: String, reason: String)] = []

    /// Expands `arguments` (nothing is decoded yet).
    init(expanding arguments: [String]) throws {
        self.arguments = arguments
        var classesFrom = ""
        for arg in arguments {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: arg, isDirectory: &isDir), isDir.boolValue else {
                inputs.append(Input(file: arg, path: arg, label: nil))
                continue
            }
            let set = try ImageSet.scan(folder: arg, origin: SpecOrigin(file: arg, line: nil))
            if let c = set.classes {
                if let known = classes, known != c {
                    throw InputError("\(arg): its classes (\(c.joined(separator: ", "))) differ from those of \(classesFrom) (\(known.joined(separator: ", "))); expected labelled folders with the same classes")
                }
                classes = c
                classesFrom = arg
            }
            inputs += set.files.map { Input(file: set.path($0), path: set.path($0), label: set.label(of: $0)) }
            skipped += set.skipped.map { (set.path($0.file), $0.reason) }
        }
    }

    /// Images decode to RGB: a network that takes another number of input channels cannot run them.
    static func checkChannels(_ channels: Int, network: String, what: String) throws {
        guard channels == 3 else {
            throw InputError("\(network) takes \(channels) input channel\(channels == 1 ? "" : "s"), but \(what) decode to RGB (3 channels); expected a network with 3 input channels")
        }
    }

    /// Decodes the images one at a time and hands each to `body` (which may convert it, so that only one decoded
    /// image is held at a time); drops the inputs that were skipped, adds them to `skipped`, and reports every
    /// skipped entry on stderr. Throws when no image is left.
    mutating func decode<T>(_ body: (RGBImage) throws -> T) throws -> [T] {
        var out: [T] = []
        var kept: [Input] = []
        let named = Set(arguments)
        for input in inputs {
            if named.contains(input.path) {
                let image = try CommandFailure.asInput { try ImageFile.load(path: input.path) }
                out.append(try body(image))
                kept.append(input)
            } else {
                let image: RGBImage
                do {
                    image = try ImageFile.load(path: input.path)
                } catch {
                    var reason = "\(error)"
                    if reason.hasPrefix(input.path + ": ") { reason.removeFirst(input.path.count + 2) }
                    skipped.append((input.path, reason))
                    continue
                }
                out.append(try body(image))
                kept.append(input)
            }
        }
        inputs = kept
        for s in skipped { FileHandle.standardError.write(Data("skipped \(s.file): \(s.reason)\n".utf8)) }
        guard !inputs.isEmpty else {
            throw InputError("no readable image in \(arguments.joined(separator: ", ")): expected PNG or JPEG files")
        }
        return out
    }
}
