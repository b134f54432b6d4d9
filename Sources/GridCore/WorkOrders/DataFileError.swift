/// A mistake in one of GridBot's line-based data files (the working calendar, the command
/// words), with its line (0 when it is about the whole file).
public struct DataFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}
