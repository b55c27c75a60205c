/// A one-line error about the command's input (a value, a file); printed as `Error: <message>`, exit code 1.
/// (ArgumentParser's `ValidationError` would also print the whole usage text, which buries the message.)
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
