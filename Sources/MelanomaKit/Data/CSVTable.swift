import Foundation
import SwiftCSV

/// A CSV file read with SwiftCSV (quoted fields, embedded commas and newlines), keeping for every data
/// row the physical line it started on so problems can be located.
public struct CSVTable: Sendable {
    public let path: String
    public let header: [String]
    public let rows: [[String]]
    /// 1-based line of each row's first character in the file.
    public let lines: [Int]

    /// The tokens pandas' `read_csv` turns into NaN by default; the parity with the original depends on it.
    public static let missingTokens: Set<String> = [
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
        "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    ]

    public static func isMissing(_ value: String) -> Bool { missingTokens.contains(value) }

    /// Reads `path`. Ragged rows, unreadable files, bad quoting and a file without a header are errors
    /// naming the file, row and line.
    public static func read(path: String) throws -> CSVTable {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DataError(file: path, "cannot read the file (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError(file: path, "the file is not UTF-8 text")
        }
        return try parse(text: text, path: path)
    }

    public static func parse(text: String, path: String) throws -> CSVTable {
        if text.allSatisfy({ $0.isWhitespace || $0 == "\u{FEFF}" }) {
            throw DataError(file: path, row: 0, line: 1, "the CSV file is empty (no header row)")
        }
        // rowLimit 0 parses only the header; the rows are enumerated below so each one's line is known.
        let csv: EnumeratedCSV
        do {
            csv = try EnumeratedCSV(string: text, delimiter: .comma, loadColumns: false, rowLimit: 0)
        } catch {
            throw DataError(file: path, row: 0, line: 1, "cannot parse the header: \(error)")
        }
        let header = csv.header
        var seen = Set<String>()
        for name in header {
            if name.isEmpty { throw DataError(file: path, row: 0, line: 1, "the header has an empty column name") }
            if !seen.insert(name).inserted {
                throw DataError(file: path, row: 0, line: 1, column: name, "the header names this column twice")
            }
        }
        var rows: [[String]] = []
        var lines: [Int] = []
        var line = 2
        var problem: DataProblem?
        do {
            try csv.enumerateAsArray(startAt: 1, rowLimit: nil) { (fields: [String]) in
                let start = line
                line += 1 + fields.reduce(0) { $0 + $1.reduce(0) { $0 + ($1.isNewline ? 1 : 0) } }
                if problem != nil { return }
                if fields == [""] { return }  // blank line; pandas skips these too
                if fields.count != header.count {
                    problem = DataProblem(.error, file: path, row: rows.count + 1, line: start,
                                          "the row has \(fields.count) fields, the header has \(header.count)")
                    return
                }
                rows.append(fields)
                lines.append(start)
            }
        } catch {
            throw DataError(file: path, row: rows.count + 1, line: line, "cannot parse the CSV: \(error)")
        }
        if let problem { throw DataError([problem]) }
        return CSVTable(path: path, header: header, rows: rows, lines: lines)
    }

    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }
}
