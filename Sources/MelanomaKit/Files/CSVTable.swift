import Basics
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
        // A byte-order mark is not part of the first column's name (pandas drops it too).
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
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

extension CSVTable {
    /// The index of a column the caller cannot do without; its absence is an error naming the file.
    public func requireColumn(_ name: String) throws -> Int {
        guard let i = columnIndex(name) else {
            throw DataError(file: path, row: 0, line: 1, column: name,
                            "missing column (the header has: \(header.joined(separator: ",")))")
        }
        return i
    }

    /// A located error about data row `r` (0-based index into `rows`).
    public func problem(row r: Int, column c: Int, _ message: String) -> DataError {
        DataError(file: path, row: r + 1, line: lines[r], column: header[c], message)
    }

    /// The field as a number; not a number is an error naming file, row and column.
    public func double(row r: Int, column c: Int) throws -> Double {
        let s = rows[r][c].trimmingCharacters(in: .whitespaces)
        guard let v = Double(s) else { throw problem(row: r, column: c, "'\(s)' is not a number") }
        return v
    }

    /// The field as an integer; pandas writes integer columns that went through floats as "1.0".
    public func int(row r: Int, column c: Int) throws -> Int {
        let s = rows[r][c].trimmingCharacters(in: .whitespaces)
        if let v = Int(s) { return v }
        if let d = Double(s), d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        throw problem(row: r, column: c, "'\(s)' is not an integer")
    }
}

/// The one CSV writer: fields quoted only when CSV needs it (as pandas' to_csv), files written atomically.
public enum CSVWriter {
    public static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One line (with its newline) of already formatted cells; text cells should go through `field`.
    public static func line(_ cells: [String]) -> String { cells.joined(separator: ",") + "\n" }

    /// Writes a header and rows of raw text cells (each quoted as needed) atomically.
    public static func write(header: [String], rows: [[String]], to url: URL) throws {
        var text = line(header.map(field))
        for r in rows { text += line(r.map(field)) }
        try AtomicFile.write(text, to: url)
    }
}
