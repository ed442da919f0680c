import Foundation
import MelanomaKit
import TestSupport
import Testing

/// get_df + get_meta_data against the same steps done by pandas at test time (Tests/Reference/data_parity.py)
/// on an awkward dataset: quoted fields with commas and newlines, CRLF lines, missing sex/age/site/patient_id,
/// tfrecord -1 rows, patient_id -1 external rows, every 2019 diagnosis, a site only in test.
/// Tolerance: features within 1e-6 (absolute); folds, targets, classes, mel_idx and names exactly.
@Suite struct DataParityTests {
    static let tolerance: Float = 1e-6

    @Test(arguments: ["default", "newfold", "oldfold"], [9, 4])
    func matchesPandas(kernel: String, outDim: Int) throws {
        let dir = try Self.fixture()
        let url = dir.appendingPathComponent("expected_\(kernel)_\(outDim).json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let kernelType = try #require(json["kernel_type"] as? String)
        let config = DatasetConfig(dataDir: dir.path, dataFolder: 64, kernelType: kernelType, outDim: outDim, useMeta: true)
        let ds = try Dataset.load(config)
        let what = "kernel \(kernel), out_dim \(outDim)"

        #expect(ds.classes == json["classes"] as? [String], "classes, \(what)")
        #expect(ds.melIdx == json["mel_idx"] as? Int, "mel_idx, \(what)")
        let names = try #require(json["meta_features"] as? [String])
        #expect(ds.metaFeatureNames == names, "meta feature names, \(what)")
        #expect(names.count == 14)

        let train = try #require(json["train"] as? [[Any]])
        try #require(ds.train.count == train.count, "train rows \(ds.train.count) vs pandas \(train.count), \(what)")
        for (s, row) in zip(ds.train, train) {
            #expect(s.imageName == row[0] as? String, "train row order, \(what)")
            #expect(s.fold == row[1] as? Int, "fold of \(s.imageName), \(what)")
            #expect(s.target == row[2] as? Int, "target of \(s.imageName), \(what)")
            #expect(s.isExt == ((row[3] as? Int) == 1), "is_ext of \(s.imageName), \(what)")
            try Self.compare(s.meta, row[4], names: names, image: s.imageName, what: what)
        }
        let test = try #require(json["test"] as? [[Any]])
        try #require(ds.test.count == test.count)
        for (s, row) in zip(ds.test, test) {
            #expect(s.imageName == row[0] as? String)
            try Self.compare(s.meta, row[1], names: names, image: s.imageName, what: "test, " + what)
        }
    }

    static func compare(_ ours: [Float], _ theirs: Any, names: [String], image: String, what: String) throws {
        let ref = try #require(theirs as? [Double])
        try #require(ours.count == ref.count, "feature count for \(image)")
        for (j, (a, b)) in zip(ours, ref).enumerated() {
            let diff = abs(Double(a) - b)
            #expect(diff <= Double(tolerance), "feature \(names[j]) of \(image): \(a) vs pandas \(b) (\(what))")
        }
    }

    /// One fixture folder for the whole suite; the script is deterministic.
    nonisolated(unsafe) static var cached: URL?
    static let lock = NSLock()
    static func fixture() throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let dir = try Reference.temporaryDirectory("melanoma-data-parity")
        try Reference.run("data_parity.py", [dir.path])
        cached = dir
        return dir
    }
}
