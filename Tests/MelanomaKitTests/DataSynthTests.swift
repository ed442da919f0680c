import Foundation
import MelanomaKit
import TestSupport
import Testing

/// The synthetic dataset: same seed, same bytes; the layout passes the loader's checks; metadata as promised.
@Suite struct DataSynthTests {
    static func generate(seed: UInt64, external: Int = 12) throws -> URL {
        let dir = try Reference.temporaryDirectory("melanoma-synth")
        _ = try Synth.generate(SynthConfig(outDir: dir.path, size: 32, train: 60, test: 20, external: external,
                                           seed: seed, malignantRate: 0.2))
        return dir
    }

    static func files(_ root: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: root.path)
        while let rel = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            let full = root.appendingPathComponent(rel).path
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = try Data(contentsOf: URL(fileURLWithPath: full))
            }
        }
        return out
    }

    @Test func sameSeedSameBytes() throws {
        let a = try Self.generate(seed: 5), b = try Self.generate(seed: 5), c = try Self.generate(seed: 6)
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }
        let fa = try Self.files(a), fb = try Self.files(b), fc = try Self.files(c)
        #expect(fa.count == 60 + 20 + 12 + 4)
        #expect(fa == fb, "same seed gave different files: \(fa.keys.filter { fa[$0] != fb[$0] }.sorted().prefix(5))")
        #expect(fa["jpeg-melanoma-32x32/train.csv"] != fc["jpeg-melanoma-32x32/train.csv"])
        #expect(fa["jpeg-melanoma-32x32/train/ISIC_1000000.jpg"] != fc["jpeg-melanoma-32x32/train/ISIC_1000000.jpg"])
    }

    @Test func layoutPassesCheckData() throws {
        let root = try Self.generate(seed: 1)
        defer { try? FileManager.default.removeItem(at: root) }
        var config = DatasetConfig(dataDir: root.path, dataFolder: 32, outDim: 9, useMeta: true, imageCheck: .header)
        let ds = try Dataset.load(config)
        #expect(ds.report.errors.isEmpty)
        #expect(ds.report.imageDimensions == ["32x32": ds.train.count + ds.test.count])
        #expect(ds.classes.contains("melanoma") && ds.classes.contains("nevus") && ds.classes.contains("unknown"))
        #expect(ds.train.contains { $0.isExt } && ds.train.contains { !$0.isExt })
        #expect(ds.test.count == 20)
        #expect(ds.metaFeatureNames.prefix(4) == ["sex", "age_approx", "n_images", "image_size"])
        #expect(ds.metaFeatureNames.last == "site_nan")
        config.outDim = 4
        let ds4 = try Dataset.load(config)
        #expect(ds4.classes.allSatisfy { ["BKL", "melanoma", "nevus", "unknown"].contains($0) })
        #expect(ds4.melIdx == ds4.classes.firstIndex(of: "melanoma"))
    }

    @Test func tfrecordsGroupPatientsAndLabelsAreSeparate() throws {
        let root = try Self.generate(seed: 2, external: 0)
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent("jpeg-melanoma-32x32")
        let train = try CSVTable.read(path: dir.appendingPathComponent("train.csv").path)
        let p = try #require(train.columnIndex("patient_id")), t = try #require(train.columnIndex("tfrecord"))
        let y = try #require(train.columnIndex("target"))
        var groups: [String: Set<String>] = [:]
        for r in train.rows where r[t] != "-1" { groups[r[p], default: []].insert(r[t]) }
        #expect(groups.values.allSatisfy { $0.count == 1 }, "a patient spans several tfrecords")
        #expect(Set(train.rows.map { r in r[t] }).isSubset(of: Set((-1 ... 14).map(String.init))))
        #expect(groups.count < train.rows.count, "patients should have several images")
        #expect(train.rows.filter { $0[y] == "1" }.count == 12)  // 20% of 60
        let test = try CSVTable.read(path: dir.appendingPathComponent("test.csv").path)
        #expect(test.columnIndex("target") == nil && test.columnIndex("diagnosis") == nil)
        let labels = try CSVTable.read(path: dir.appendingPathComponent("test_labels.csv").path)
        #expect(labels.header == ["image_name", "target", "diagnosis"])
        #expect(labels.rows.map { $0[0] } == test.rows.map { $0[0] })
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("jpeg-isic2019-32x32").path))
    }
}

/// The metadata carries a small, real signal: a logistic regression (scikit-learn, at test time) on the
/// metadata of a larger synthetic set must beat chance clearly but stay far from separating the classes.
@Suite struct DataSynthSignalTests {
    @Test func metadataHelpsALittle() throws {
        let dir = try Reference.temporaryDirectory("melanoma-synth-meta")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Synth.generate(SynthConfig(outDir: dir.path, size: 16, train: 3000, test: 1500, seed: 11,
                                           writeImages: false))
        let out = try Reference.run("data_synth_learnability.py", [dir.path, "16", "--meta-only"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let auc = try #require(json["meta_auc"] as? Double)
        // Bounds: above 0.56 (chance is 0.5, the sampling noise of 1500 test rows is about 0.025), below 0.80.
        #expect(auc > 0.56 && auc < 0.80, "metadata-only test AUC \(auc)")
    }
}
