import Basics
import Foundation

/// The original's tfrecord -> fold maps (dataset.py get_df) and the fold rule for external rows.
public enum FoldMap {
    public enum Kind: String, Sendable { case standard = "default", newfold, oldfold }

    /// Chosen by substring of the kernel type, in the original's order of tests.
    public static func kind(kernelType: String) -> Kind {
        if kernelType.contains("newfold") { return .newfold }
        if kernelType.contains("oldfold") { return .oldfold }
        return .standard
    }

    public static func table(_ kind: Kind) -> [Int: Int] {
        switch kind {
        case .newfold:
            return [8: 0, 5: 0, 11: 0, 7: 1, 0: 1, 6: 1, 10: 2, 12: 2, 13: 2, 9: 3, 1: 3, 3: 3, 14: 4, 2: 4, 4: 4]
        case .oldfold:
            return Dictionary(uniqueKeysWithValues: (0 ..< 15).map { ($0, $0 % 5) })
        case .standard:
            return [2: 0, 4: 0, 5: 0, 1: 1, 10: 1, 13: 1, 0: 2, 9: 2, 12: 2, 3: 3, 8: 3, 11: 3, 6: 4, 7: 4, 14: 4]
        }
    }

    /// Fold of a 2020 row; nil for a tfrecord outside 0...14.
    public static func fold2020(tfrecord: Int, kind: Kind) -> Int? { table(kind)[tfrecord] }

    /// Fold of an external (2019) row with tfrecord >= 0: `% 15` then the map for newfold, `% 5` otherwise.
    public static func foldExternal(tfrecord: Int, kind: Kind) -> Int {
        switch kind {
        case .newfold: return table(.newfold)[tfrecord % 15] ?? 0
        case .standard, .oldfold: return tfrecord % 5
        }
    }
}

/// Makes tfrecord-like groups (0..<15) for a dataset that has none: a patient's images stay in one group,
/// and the malignant count, image count and patient sizes are spread evenly. Deterministic from the seed.
public enum FoldMaker {
    public static let groupCount = 15

    /// `patients[i]` is image i's patient (nil: unknown, the image is its own patient).
    public static func assignGroups(patients: [String?], malignant: [Bool], groups: Int = groupCount,
                                    seed: UInt64) -> [Int] {
        precondition(patients.count == malignant.count)
        var members: [String: [Int]] = [:]
        var order: [String] = []
        for (i, p) in patients.enumerated() {
            let key = p.map { "p:" + $0 } ?? "i:\(i)"
            if members[key] == nil { order.append(key) }
            members[key, default: []].append(i)
        }
        var rng = SplitMix64(seed: seed ^ 0x5EED_F01D)
        order.seededShuffle(using: &rng)
        struct Patient { let images: [Int]; let malignant: Int }
        var list = order.map { key -> Patient in
            let imgs = members[key] ?? []
            return Patient(images: imgs, malignant: imgs.reduce(0) { $0 + (malignant[$1] ? 1 : 0) })
        }
        // Largest first, stable after the seeded shuffle: malignant patients, then by size.
        list = list.enumerated().sorted { a, b in
            if a.element.malignant != b.element.malignant { return a.element.malignant > b.element.malignant }
            if a.element.images.count != b.element.images.count { return a.element.images.count > b.element.images.count }
            return a.offset < b.offset
        }.map(\.element)
        var mal = [Int](repeating: 0, count: groups)
        var imgs = [Int](repeating: 0, count: groups)
        var pats = [Int](repeating: 0, count: groups)
        var result = [Int](repeating: 0, count: patients.count)
        // Ties rotate through the groups so small datasets do not pile into group 0.
        var start = Int(rng.next() % UInt64(groups))
        for p in list {
            var best = -1
            for k in 0 ..< groups {
                let g = (start + k) % groups
                if best < 0 { best = g; continue }
                let lhs = p.malignant > 0 ? (mal[g], imgs[g], pats[g]) : (0, imgs[g], pats[g])
                let rhs = p.malignant > 0 ? (mal[best], imgs[best], pats[best]) : (0, imgs[best], pats[best])
                if lhs < rhs { best = g }
            }
            start = (best + 1) % groups
            mal[best] += p.malignant
            imgs[best] += p.images.count
            pats[best] += 1
            for i in p.images { result[i] = best }
        }
        return result
    }
}

/// The `folds.csv` written next to a train.csv that has no tfrecord column, so later runs reuse the folds.
/// It records each image's patient too, so a reuse after the patients changed is refused rather than
/// splitting a patient across training and validation.
enum FoldsFile {
    static let name = "folds.csv"

    struct Entry: Equatable { var tfrecord: Int; var patient: String? }

    /// image_name -> entry; `patient` is nil for files written before the column existed, and "" for rows
    /// that had no patient.
    static func read(path: String) throws -> [String: Entry] {
        let table = try CSVTable.read(path: path)
        guard let ni = table.columnIndex("image_name") else {
            throw DataError(file: path, row: 0, line: 1, column: "image_name", "missing column")
        }
        guard let ti = table.columnIndex("tfrecord") else {
            throw DataError(file: path, row: 0, line: 1, column: "tfrecord", "missing column")
        }
        let pi = table.columnIndex("patient_id")
        var map: [String: Entry] = [:]
        for (r, fields) in table.rows.enumerated() {
            guard let t = Int(fields[ti]), (0 ..< FoldMaker.groupCount).contains(t) else {
                throw DataError(file: path, row: r + 1, line: table.lines[r], column: "tfrecord",
                                "expected an integer in 0...14, found '\(fields[ti])'")
            }
            if map.updateValue(Entry(tfrecord: t, patient: pi.map { fields[$0] }), forKey: fields[ni]) != nil {
                throw DataError(file: path, row: r + 1, line: table.lines[r], column: "image_name",
                                "duplicated image_name '\(fields[ni])'")
            }
        }
        return map
    }

    static func write(path: String, names: [String], patients: [String?], groups: [Int]) throws {
        let rows = names.indices.map { [names[$0], patients[$0] ?? "", "\(groups[$0])"] }
        try CSVWriter.write(header: ["image_name", "patient_id", "tfrecord"], rows: rows, to: URL(fileURLWithPath: path))
    }
}
