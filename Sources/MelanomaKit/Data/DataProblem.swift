import Foundation

/// One thing wrong with a dataset, located as precisely as the input allows: the file, the 1-based data
/// row (header not counted, blank lines skipped, as pandas numbers rows), the physical line and the column.
public struct DataProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var file: String
    public var row: Int?
    public var line: Int?
    public var column: String?
    public var message: String

    public init(_ severity: Severity, file: String, row: Int? = nil, line: Int? = nil, column: String? = nil,
                _ message: String) {
        self.severity = severity
        self.file = file
        self.row = row
        self.line = line
        self.column = column
        self.message = message
    }

    public var location: String {
        var s = file
        if let row { s += " row \(row)" }
        if let line { s += row == nil ? " line \(line)" : " (line \(line))" }
        if let column { s += ", column '\(column)'" }
        return s
    }

    public var description: String { "\(location): \(message)" }
}

/// Thrown when a dataset cannot be used; `problems` holds every error found (warnings are not errors).
public struct DataError: Error, Sendable, CustomStringConvertible {
    public var problems: [DataProblem]

    public init(_ problems: [DataProblem]) { self.problems = problems }

    public init(file: String, row: Int? = nil, line: Int? = nil, column: String? = nil, _ message: String) {
        problems = [DataProblem(.error, file: file, row: row, line: line, column: column, message)]
    }

    public var description: String {
        guard let first = problems.first else { return "invalid dataset" }
        if problems.count == 1 { return first.description }
        return "\(first.description) (and \(problems.count - 1) more; run `melanoma check-data` for the full list)"
    }
}

/// Collects problems while a dataset is read, so check-data can report all of them at once.
struct ProblemLog: Sendable {
    private(set) var problems: [DataProblem] = []

    var errors: [DataProblem] { problems.filter { $0.severity == .error } }
    var warnings: [DataProblem] { problems.filter { $0.severity == .warning } }

    mutating func error(_ file: String, row: Int? = nil, line: Int? = nil, column: String? = nil, _ message: String) {
        problems.append(DataProblem(.error, file: file, row: row, line: line, column: column, message))
    }

    mutating func warning(_ file: String, row: Int? = nil, line: Int? = nil, column: String? = nil, _ message: String) {
        problems.append(DataProblem(.warning, file: file, row: row, line: line, column: column, message))
    }

    mutating func append(_ p: DataProblem) { problems.append(p) }
}
