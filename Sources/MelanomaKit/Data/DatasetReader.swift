import Foundation

struct NameRef {
    var imageName: String
    var file: String
    var row: Int
    var line: Int
}

/// The rows of one CSV that pass get_df's filters, and every image_name it lists (for duplicate checks).
struct ReadResult {
    var role: DatasetLoader.Role
    var path: String
    var hasTFRecord: Bool
    var rows: [RawRow]
    var allNames: [NameRef]
}

extension DatasetLoader {
    /// The 2020 diagnosis mapping (`str.replace`, substring, in the original's order).
    static func map2020(_ d: String) -> String {
        var s = d
        for (from, to) in [("seborrheic keratosis", "BKL"), ("lichenoid keratosis", "BKL"), ("solar lentigo", "BKL"),
                           ("lentigo NOS", "BKL"), ("cafe-au-lait macule", "unknown"),
                           ("atypical melanocytic proliferation", "unknown")] {
            s = s.replacingOccurrences(of: from, with: to)
        }
        return s
    }

    /// The external (2019) mapping for out_dim 9 and 4.
    static func mapExternal(_ d: String, outDim: Int) -> String {
        var pairs = [("NV", "nevus"), ("MEL", "melanoma")]
        if outDim == 4 {
            pairs += [("DF", "unknown"), ("AK", "unknown"), ("SCC", "unknown"), ("VASC", "unknown"), ("BCC", "unknown")]
        }
        var s = d
        for (from, to) in pairs { s = s.replacingOccurrences(of: from, with: to) }
        return s
    }

    static func readRows(role: Role, path: String, imageDir: String, config: DatasetConfig, required: Bool,
                         log: inout ProblemLog, report: inout DataReport) -> ReadResult? {
        var summary = DataReport.FileSummary(role: role.rawValue, path: path, present: true)
        defer { report.files.append(summary) }
        let table: CSVTable
        do {
            table = try CSVTable.read(path: path)
        } catch let e as DataError {
            e.problems.forEach { log.append($0) }
            return nil
        } catch {
            log.error(path, "\(error)")
            return nil
        }
        summary.rowsRead = table.rows.count
        if table.rows.isEmpty {
            if role == .test {
                log.warning(path, row: 0, line: 1, "the CSV has a header but no rows")
            } else {
                log.error(path, row: 0, line: 1, "the CSV has a header but no rows")
            }
        }
        var needed = ["image_name"]
        if role != .test { needed.append("diagnosis") }
        if config.useMeta { needed += metaColumns }
        var missingColumn = false
        for name in needed where table.columnIndex(name) == nil {
            let why = metaColumns.contains(name) ? " (needed by --use-meta)" : ""
            log.error(path, row: 0, line: 1, column: name, "missing column '\(name)'\(why)")
            missingColumn = true
        }
        if missingColumn { return nil }
        let ni = table.columnIndex("image_name")!
        let di = table.columnIndex("diagnosis")
        let ti = role == .test ? nil : table.columnIndex("tfrecord")
        let pi = table.columnIndex("patient_id")
        let si = table.columnIndex("sex")
        let ai = table.columnIndex("age_approx")
        let gi = table.columnIndex("anatom_site_general_challenge")
        if role != .test && ti == nil {
            log.warning(path, row: 0, line: 1, column: "tfrecord",
                        "no tfrecord column: folds are made by patient (see the notes)")
        }
        // Metadata problems only stop a run that uses the metadata.
        func metaProblem(_ r: Int, _ line: Int, _ column: String, _ message: String) {
            if config.useMeta {
                log.error(path, row: r, line: line, column: column, message)
            } else {
                log.warning(path, row: r, line: line, column: column, message + " (ignored without --use-meta)")
            }
        }

        var rows: [RawRow] = []
        var names: [NameRef] = []
        var firstRow: [String: Int] = [:]
        var dropped: [String: Int] = [:]
        var missing = [Int](repeating: 0, count: table.header.count)
        for (k, fields) in table.rows.enumerated() {
            let r = k + 1, line = table.lines[k]
            let name = fields[ni]
            if CSVTable.isMissing(name) {
                log.error(path, row: r, line: line, column: "image_name", "image_name is missing")
                continue
            }
            names.append(NameRef(imageName: name, file: path, row: r, line: line))
            if let f = firstRow[name] {
                log.error(path, row: r, line: line, column: "image_name",
                          "duplicated image_name '\(name)' (first at row \(f))")
                continue
            }
            firstRow[name] = r
            var raw = RawRow(file: path, row: r, line: line, imageName: name,
                             filepath: imageDir.appendingPath("\(name).jpg"), isExt: role == .external)
            if let ti {
                let s = fields[ti]
                guard !CSVTable.isMissing(s) else {
                    log.error(path, row: r, line: line, column: "tfrecord", "tfrecord is missing")
                    continue
                }
                guard let v = Double(s), v.isFinite, v == v.rounded(), abs(v) < 1e9 else {
                    log.error(path, row: r, line: line, column: "tfrecord", "cannot parse '\(s)' as an integer")
                    continue
                }
                let t = Int(v)
                if role == .train2020 && t == -1 {
                    dropped["tfrecord == -1 (duplicates)", default: 0] += 1
                    continue
                }
                if role == .external && t < 0 {
                    dropped["tfrecord < 0", default: 0] += 1
                    continue
                }
                raw.tfrecord = t
            }
            if let di {
                let d = fields[di]
                if CSVTable.isMissing(d) {
                    log.error(path, row: r, line: line, column: "diagnosis", "diagnosis is missing")
                    continue
                }
                raw.diagnosis = role == .external ? mapExternal(d, outDim: config.outDim) : map2020(d)
            }
            if let pi, !CSVTable.isMissing(fields[pi]) { raw.patientID = fields[pi] }
            if let si {
                switch fields[si] {
                case "male": raw.sex = 1
                case "female": raw.sex = 0
                case let s where CSVTable.isMissing(s): raw.sex = -1
                case let s: metaProblem(r, line, "sex", "unknown sex value '\(s)' (expected male, female or empty)")
                }
            }
            if let ai, !CSVTable.isMissing(fields[ai]) {
                let s = fields[ai]
                if let v = Double(s), v.isFinite {
                    raw.age = v
                } else {
                    metaProblem(r, line, "age_approx", "cannot parse '\(s)' as a number")
                }
            }
            if let gi, !CSVTable.isMissing(fields[gi]) { raw.site = fields[gi] }
            for (c, f) in fields.enumerated() where CSVTable.isMissing(f) { missing[c] += 1 }
            rows.append(raw)
        }
        summary.rowsKept = rows.count
        summary.dropped = dropped.sorted { $0.key < $1.key }.map { (reason: $0.key, count: $0.value) }
        summary.missing = zip(table.header, missing).map { (column: $0, count: $1) }
        return ReadResult(role: role, path: path, hasTFRecord: ti != nil, rows: rows, allNames: names)
    }
}
