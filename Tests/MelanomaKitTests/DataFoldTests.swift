import Basics
import Foundation
import MelanomaKit
import Testing

/// Folds for a dataset without tfrecord: patients never split, malignant rate and size balanced, seeded, reused.
@Suite struct DataFoldTests {
    /// 1500 images of ~250 patients (1 to 30 images each); melanoma patients carry 1-3 melanomas.
    static func population(seed: UInt64) -> (patients: [String?], malignant: [Bool]) {
        var rng = SplitMix64(seed: seed)
        var patients: [String?] = [], malignant: [Bool] = []
        var p = 0
        while patients.count < 1500 {
            let k = 1 + rng.below(30) * rng.below(2) + rng.below(4)
            let mal = rng.chance(0.3) ? 1 + rng.below(3) : 0
            for j in 0 ..< k {
                patients.append(rng.chance(0.02) ? nil : "IP_\(p)")
                malignant.append(j < mal)
            }
            p += 1
        }
        return (patients, malignant)
    }

    @Test(arguments: [0, 1, 2] as [UInt64], FoldMap.Kind.allCasesForTests)
    func patientsNeverSplitAndRatesBalanced(seed: UInt64, kind: FoldMap.Kind) {
        let (patients, malignant) = Self.population(seed: seed)
        let groups = FoldMaker.assignGroups(patients: patients, malignant: malignant, seed: seed)
        #expect(Set(groups).isSubset(of: Set(0 ..< 15)))
        let folds = groups.map { FoldMap.fold2020(tfrecord: $0, kind: kind) ?? -1 }
        var foldOf: [String: Int] = [:]
        for (p, f) in zip(patients, folds) {
            guard let p else { continue }
            if let g = foldOf[p] { #expect(g == f, "patient \(p) is in folds \(g) and \(f)") }
            foldOf[p] = f
        }
        let overall = Double(malignant.filter { $0 }.count) / Double(malignant.count)
        let meanSize = Double(folds.count) / 5
        for f in 0 ..< 5 {
            let idx = folds.indices.filter { folds[$0] == f }
            let rate = Double(idx.filter { malignant[$0] }.count) / Double(idx.count)
            // Stated tolerance: each fold's malignant rate within 1 point of the overall rate,
            // and its image count within 5% of the mean.
            #expect(abs(rate - overall) <= 0.01, "fold \(f): malignant rate \(rate) vs \(overall)")
            #expect(abs(Double(idx.count) - meanSize) <= 0.05 * meanSize, "fold \(f): \(idx.count) images vs \(meanSize)")
        }
    }

    @Test func deterministicFromSeed() {
        let (patients, malignant) = Self.population(seed: 7)
        let a = FoldMaker.assignGroups(patients: patients, malignant: malignant, seed: 3)
        let b = FoldMaker.assignGroups(patients: patients, malignant: malignant, seed: 3)
        let c = FoldMaker.assignGroups(patients: patients, malignant: malignant, seed: 4)
        #expect(a == b)
        #expect(a != c)
    }

    /// A train.csv without tfrecord gets folds.csv next to it; a later run reuses it even with another seed.
    @Test func foldsFileWrittenAndReused() throws {
        let header = DataFixture.header.replacingOccurrences(of: ",tfrecord", with: "")
        var rows: [String] = []
        for i in 0 ..< 60 {
            let d = i % 6 == 0 ? "melanoma" : "nevus"
            rows.append("ISIC_\(String(format: "%07d", i)),IP_\(i / 4),male,40.0,torso,\(d),benign,0,6000,4000")
        }
        let root = try DataFixture.make(train: ([header] + rows).joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(at: root) }
        let foldsFile = root.appendingPathComponent("jpeg-melanoma-32x32/folds.csv")
        var config = DataFixture.config(root)
        let first = try Dataset.load(config)
        #expect(FileManager.default.fileExists(atPath: foldsFile.path))
        let written = try Data(contentsOf: foldsFile)
        config.foldSeed = 99
        let second = try Dataset.load(config)
        #expect(first.train.map(\.fold) == second.train.map(\.fold))
        #expect(try Data(contentsOf: foldsFile) == written)
        var byPatient: [String: Set<Int>] = [:]
        for s in first.train { byPatient[s.patientID ?? "", default: []].insert(s.fold) }
        #expect(byPatient.values.allSatisfy { $0.count == 1 })
        #expect(Set(first.train.map(\.fold)) == Set(0 ..< 5))
        #expect(first.report.notes.contains { $0.contains("folds made by patient") })
        #expect(second.report.notes.contains { $0.contains("folds reused") })

        // A folds.csv that lacks an image is an error naming the row, not a silent new split.
        let lines = String(decoding: written, as: UTF8.self).split(separator: "\n")
        try Data((lines.dropLast().joined(separator: "\n") + "\n").utf8).write(to: foldsFile)
        let e = try #require(throws: DataError.self) { try Dataset.load(config) }
        #expect(e.description.contains("train.csv row 60 (line 61), column 'image_name'"), "\(e)")
        #expect(e.description.contains("folds.csv"))
    }

    @Test func originalFoldMaps() {
        #expect(FoldMap.kind(kernelType: "9c_b7ns_1e_640_ext_15ep") == .standard)
        #expect(FoldMap.kind(kernelType: "9c_b4ns_768_768_ext_15ep_newfold") == .newfold)
        #expect(FoldMap.kind(kernelType: "x_oldfold") == .oldfold)
        #expect(FoldMap.fold2020(tfrecord: 8, kind: .newfold) == 0)
        #expect(FoldMap.fold2020(tfrecord: 14, kind: .standard) == 4)
        #expect(FoldMap.fold2020(tfrecord: 13, kind: .oldfold) == 3)
        #expect(FoldMap.foldExternal(tfrecord: 29, kind: .newfold) == 4)  // 29 % 15 = 14, newfold[14] = 4
        #expect(FoldMap.foldExternal(tfrecord: 23, kind: .newfold) == 0)  // 23 % 15 = 8, newfold[8] = 0
        #expect(FoldMap.foldExternal(tfrecord: 29, kind: .standard) == 4)
    }
}

extension FoldMap.Kind {
    static let allCasesForTests: [FoldMap.Kind] = [.standard, .newfold, .oldfold]
}
