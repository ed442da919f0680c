import Basics
import Foundation
import Imaging

/// `melanoma synth`: a complete dataset in Deotte's layout with lesion-like JPEGs and realistic metadata.
public struct SynthConfig: Sendable, Equatable {
    public var outDir: String
    public var size: Int
    public var train: Int
    public var test: Int
    public var external: Int
    public var seed: UInt64
    public var malignantRate: Double
    public var quality: Int
    /// False writes the CSV files only (metadata studies); the dataset is then not loadable.
    public var writeImages: Bool

    public init(outDir: String, size: Int = 128, train: Int = 600, test: Int = 200, external: Int = 0,
                seed: UInt64 = 0, malignantRate: Double = 0.15, quality: Int = 90, writeImages: Bool = true) {
        self.outDir = outDir
        self.size = size
        self.train = train
        self.test = test
        self.external = external
        self.seed = seed
        self.malignantRate = malignantRate
        self.quality = quality
        self.writeImages = writeImages
    }
}

public struct SynthSummary: Sendable {
    public var trainRows = 0, testRows = 0, externalRows = 0
    public var trainMalignant = 0, testMalignant = 0, externalMalignant = 0
    public var trainPatients = 0, testPatients = 0
    public var images = 0
    public var seconds = 0.0
}

/// One synthetic CSV row plus what the painter needs.
struct SynthRow {
    var imageName: String
    var patientID: String
    var sex: String
    var age: Int?
    var site: String
    var diagnosis = "unknown"
    var malignant = false
    var tfrecord = 0
    var width = 6000, height = 4000
    var tone = 0.3
    var atypia = 0.0
}

public enum Synth {
    static let sites2020: [(String, Double)] = [
        ("torso", 0.50), ("lower extremity", 0.25), ("upper extremity", 0.15), ("head/neck", 0.06),
        ("palms/soles", 0.012), ("oral/genital", 0.004), ("", 0.024),
    ]
    static let sites2019: [(String, Double)] = [
        ("anterior torso", 0.27), ("posterior torso", 0.20), ("lower extremity", 0.20), ("upper extremity", 0.10),
        ("head/neck", 0.09), ("lateral torso", 0.02), ("palms/soles", 0.015), ("oral/genital", 0.005), ("", 0.10),
    ]
    static let benign2020: [(String, Double)] = [
        ("unknown", 0.70), ("nevus", 0.245), ("seborrheic keratosis", 0.02), ("lentigo NOS", 0.015),
        ("lichenoid keratosis", 0.01), ("solar lentigo", 0.005), ("atypical melanocytic proliferation", 0.003),
        ("cafe-au-lait macule", 0.002),
    ]
    static let diagnoses2019: [(String, Double)] = [
        ("NV", 0.51), ("MEL", 0.18), ("BCC", 0.13), ("BKL", 0.10), ("AK", 0.034), ("SCC", 0.025), ("VASC", 0.01),
        ("DF", 0.01),
    ]
    /// Log-odds added to a lesion's malignancy weight: a small, realistic metadata signal.
    static let siteRisk: [String: Double] = [
        "head/neck": 0.7, "upper extremity": 0.25, "palms/soles": -0.6, "oral/genital": -0.4,
    ]
    static let originalSizes = [(6000, 4000), (1872, 1053), (640, 480), (1024, 1024), (3264, 2448), (4288, 2848)]

    public static func generate(_ c: SynthConfig) throws -> SynthSummary {
        guard c.size >= 16, c.size <= 4096 else { throw RunError(.synthSize, "must be in 16...4096, got \(c.size)") }
        guard c.train >= 1 else { throw RunError(.synthTrain, "must be at least 1, got \(c.train)") }
        guard c.test >= 0 else { throw RunError(.synthTest, "must be >= 0, got \(c.test)") }
        guard c.external >= 0 else { throw RunError(.synthExternal, "must be >= 0, got \(c.external)") }
        guard c.malignantRate > 0, c.malignantRate < 1 else { throw RunError(.malignantRate, "must be in (0, 1), got \(c.malignantRate)") }
        let start = Date()
        var rng = SplitMix64(seed: c.seed)
        let f = c.size
        let dir2020 = c.outDir.appendingPath("jpeg-melanoma-\(f)x\(f)")
        let dir2019 = c.outDir.appendingPath("jpeg-isic2019-\(f)x\(f)")
        let fm = FileManager.default
        for d in [dir2020 + "/train", dir2020 + "/test"] + (c.external > 0 ? [dir2019 + "/train"] : []) {
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
        }

        var summary = SynthSummary()
        var train = makePatients(count: c.train, firstImage: 1_000_000, firstPatient: 100_000, missing: true, rng: &rng)
        var test = makePatients(count: c.test, firstImage: 6_000_000, firstPatient: 900_000, missing: false, rng: &rng)
        summary.trainPatients = Set(train.map(\.patientID)).count
        summary.testPatients = Set(test.map(\.patientID)).count
        assignMalignancy(&train, rate: c.malignantRate, rng: &rng)
        assignMalignancy(&test, rate: c.malignantRate, rng: &rng)
        let groups = FoldMaker.assignGroups(patients: train.map(\.patientID), malignant: train.map(\.malignant),
                                            seed: rng.next())
        for i in train.indices {
            // Deotte marks duplicates with tfrecord -1; about 1% here, so the loader's filter is exercised.
            train[i].tfrecord = rng.chance(0.01) ? -1 : groups[i]
        }
        let external = makeExternal(count: c.external, rng: &rng)

        try writeCSV(dir2020 + "/train.csv", header: trainHeader, rows: train.map(trainFields))
        try writeCSV(dir2020 + "/test.csv", header: ["image_name", "patient_id", "sex", "age_approx",
                                                     "anatom_site_general_challenge", "width", "height"],
                     rows: test.map { [$0.imageName, $0.patientID, $0.sex, ageField($0.age), $0.site, "\($0.width)", "\($0.height)"] })
        try writeCSV(dir2020 + "/test_labels.csv", header: ["image_name", "target", "diagnosis"],
                     rows: test.map { [$0.imageName, $0.malignant ? "1" : "0", $0.diagnosis] })
        if c.external > 0 {
            try writeCSV(dir2019 + "/train.csv", header: trainHeader, rows: external.map(trainFields))
        }

        var jobs: [PaintJob] = []
        let imageSeed = rng.next()
        for (set, folder) in [(train, dir2020 + "/train"), (test, dir2020 + "/test"), (external, dir2019 + "/train")] {
            for r in set {
                jobs.append(PaintJob(path: folder + "/" + r.imageName + ".jpg",
                                     look: LesionLook(family: LesionLook.family(forDiagnosis: r.diagnosis), atypia: r.atypia),
                                     tone: r.tone, seed: imageSeed ^ (UInt64(jobs.count) &* 0x9E37_79B9_7F4A_7C15)))
            }
        }
        if c.writeImages { try paint(jobs, size: f, quality: c.quality) }

        summary.trainRows = train.count
        summary.testRows = test.count
        summary.externalRows = c.external
        summary.trainMalignant = train.filter(\.malignant).count
        summary.testMalignant = test.filter(\.malignant).count
        summary.externalMalignant = external.filter(\.malignant).count
        summary.images = c.writeImages ? jobs.count : 0
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    static let trainHeader = ["image_name", "patient_id", "sex", "age_approx", "anatom_site_general_challenge",
                              "diagnosis", "benign_malignant", "target", "tfrecord", "width", "height"]

    static func trainFields(_ r: SynthRow) -> [String] {
        [r.imageName, r.patientID, r.sex, ageField(r.age), r.site, r.diagnosis, r.malignant ? "malignant" : "benign",
         r.malignant ? "1" : "0", "\(r.tfrecord)", "\(r.width)", "\(r.height)"]
    }

    static func ageField(_ age: Int?) -> String { age.map { "\($0).0" } ?? "" }

    /// 2020-style rows: patients with several images (mean about 6), a few missing sex / age / site values.
    static func makePatients(count: Int, firstImage: Int, firstPatient: Int, missing: Bool,
                             rng: inout SplitMix64) -> [SynthRow] {
        var rows: [SynthRow] = []
        var p = 0
        while rows.count < count {
            let id = String(format: "IP_%07d", firstPatient + p * 7 + rng.below(7))
            p += 1
            let k = min(1 + Int(-5 * Foundation.log(max(rng.unit(), 1e-9))), 40, count - rows.count)
            let sexRoll = rng.unit()
            let sex = missing && sexRoll < 0.02 ? "" : (sexRoll < 0.53 ? "male" : "female")
            let age: Int? = missing && rng.chance(0.02) ? nil : min(max(Int((50 + 15 * rng.normal()) / 5) * 5, 10), 90)
            let tone = rng.uniform(0, 1) * rng.uniform(0.3, 1)
            for _ in 0 ..< k {
                var r = SynthRow(imageName: String(format: "ISIC_%07d", firstImage + rows.count), patientID: id,
                                 sex: sex, age: age, site: pick(sites2020, &rng))
                if let a = age, a < 90, rng.chance(0.15) { r.age = a + 5 }
                r.tone = tone
                (r.width, r.height) = originalSizes[rng.below(originalSizes.count)]
                rows.append(r)
            }
        }
        return rows
    }

    /// Exactly round(rate * n) malignant rows, drawn with weights from age, site and sex (weighted sampling
    /// without replacement), then diagnoses and how atypical each lesion looks.
    static func assignMalignancy(_ rows: inout [SynthRow], rate: Double, rng: inout SplitMix64) {
        guard !rows.isEmpty else { return }
        let k = max(1, Int((rate * Double(rows.count)).rounded()))
        let keys: [(Double, Int)] = rows.indices.map { i in
            let r = rows[i]
            let w = Foundation.exp(0.45 * (Double(r.age ?? 50) - 50) / 15 + (siteRisk[r.site] ?? 0)
                                   + (r.sex == "male" ? 0.15 : 0))
            return (Foundation.log(max(rng.unit(), 1e-300)) / w, i)
        }
        for (_, i) in keys.sorted(by: { $0.0 > $1.0 }).prefix(k) { rows[i].malignant = true }
        for i in rows.indices {
            if rows[i].malignant {
                rows[i].diagnosis = "melanoma"
                rows[i].atypia = malignantAtypia(&rng)
            } else {
                rows[i].diagnosis = pick(benign2020, &rng)
                rows[i].atypia = benignAtypia(rows[i].diagnosis, &rng)
            }
        }
    }

    /// Overlapping ranges: some melanomas look bland and some naevi look atypical, few enough that a network
    /// trained from random weights on 2 cores finds the signal within the demo's minutes (test AUC >= 0.85).
    static func malignantAtypia(_ rng: inout SplitMix64) -> Double {
        rng.chance(0.1) ? rng.uniform(0.2, 0.5) : 0.45 + 0.55 * Foundation.pow(rng.unit(), 0.7)
    }

    static func benignAtypia(_ diagnosis: String, _ rng: inout SplitMix64) -> Double {
        if diagnosis == "nevus" || diagnosis == "unknown" || diagnosis == "NV" {
            return rng.chance(0.05) ? rng.uniform(0.3, 0.7) : 0.35 * Foundation.pow(rng.unit(), 1.5)
        }
        return 0.25 * rng.unit()
    }

    /// ISIC 2019-style rows: patient_id -1, 2019 diagnoses, tfrecord 0-29 (about 1% -1).
    static func makeExternal(count: Int, rng: inout SplitMix64) -> [SynthRow] {
        (0 ..< count).map { i in
            let d = pick(diagnoses2019, &rng)
            var r = SynthRow(imageName: String(format: "ISIC_%07d", i), patientID: "-1",
                             sex: rng.chance(0.015) ? "" : (rng.chance(0.52) ? "male" : "female"),
                             age: rng.chance(0.02) ? nil : 5 * (2 + rng.below(16)), site: pick(sites2019, &rng))
            r.diagnosis = d
            r.malignant = d == "MEL"
            r.atypia = r.malignant ? malignantAtypia(&rng) : benignAtypia(d, &rng)
            r.tfrecord = rng.chance(0.01) ? -1 : rng.below(30)
            r.tone = rng.uniform(0, 1) * rng.uniform(0.3, 1)
            (r.width, r.height) = [(1022, 767), (600, 450), (1024, 1024)][rng.below(3)]
            return r
        }
    }

    static func pick(_ table: [(String, Double)], _ rng: inout SplitMix64) -> String {
        let total = table.reduce(0) { $0 + $1.1 }
        var x = rng.unit() * total
        for (v, p) in table {
            x -= p
            if x < 0 { return v }
        }
        return table.last?.0 ?? ""
    }

    static func writeCSV(_ path: String, header: [String], rows: [[String]]) throws {
        try CSVWriter.write(header: header, rows: rows, to: URL(fileURLWithPath: path))
    }
}

struct PaintJob: Sendable {
    var path: String
    var look: LesionLook
    var tone: Double
    var seed: UInt64
}

extension Synth {
    /// Each image depends only on its own seed, so the output is identical whatever the thread count.
    static func paint(_ jobs: [PaintJob], size: Int, quality: Int) throws {
        try Parallel.forEach(jobs.count) { i in
            let job = jobs[i]
            let rgb = LesionPainter.draw(size: size, look: job.look, skinTone: job.tone, seed: job.seed)
            try Image(width: size, height: size, pixels: rgb).write(to: URL(fileURLWithPath: job.path), quality: quality)
        }
    }

    /// `count` lesion-like JPEGs of `side` pixels (`lesion_0000.jpg`...) in `directory`: realistic content for
    /// benchmarks of the codec and the transforms (flat images compress and filter unrealistically fast).
    public static func writeLesionImages(count: Int, side: Int, to directory: URL, seed: UInt64 = 99) throws {
        let families: [LesionLook.Family] = [.nevus, .melanoma, .keratosis, .bcc]
        let jobs = (0 ..< count).map { i in
            PaintJob(path: directory.appendingPathComponent(String(format: "lesion_%04d.jpg", i)).path,
                     look: LesionLook(family: families[i % families.count], atypia: Double(i % 5) / 4),
                     tone: Double(i % 7) / 6, seed: SplitMix64.derive(seed, side, i))
        }
        try paint(jobs, size: side, quality: 90)
    }
}
