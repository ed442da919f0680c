import Foundation
import Imaging
import Testing
import TestSupport
@testable import MelanomaKit

/// check-data must find what training would hit: a truncated JPEG is an error only a full decode finds, and a
/// PNG saved under a .jpg name is read by its content everywhere, with a warning about the name.
@Suite struct DataImageCheckTests {
    /// The fixture's four training images replaced by real JPEGs, then row 2's image cut in half and row 3's
    /// written as PNG bytes.
    func dataset() throws -> (root: URL, truncated: URL, png: URL) {
        let root = try DataFixture.make(train: ([DataFixture.header] + DataFixture.goodTrain).joined(separator: "\n"))
        let dir = root.appendingPathComponent("jpeg-melanoma-\(DataFixture.folder)x\(DataFixture.folder)")
        for sub in ["train", "test"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(sub).path) {
                let px = (0 ..< 48 * 40 * 3).map { UInt8(($0 * 37 + name.count * 11) % 251) }
                try Image(width: 48, height: 40, pixels: px).write(to: dir.appendingPathComponent("\(sub)/\(name)"))
            }
        }
        let truncated = dir.appendingPathComponent("train/ISIC_0000002.jpg")
        let full = try Data(contentsOf: truncated)
        try full.prefix(full.count / 2).write(to: truncated)
        let png = dir.appendingPathComponent("train/ISIC_0000003.jpg")
        try Image(contentsOf: png).pngData().write(to: png)
        return (root, truncated, png)
    }

    @Test func decodingFindsTheTruncatedJPEGAndAcceptsThePNG() throws {
        let (root, truncated, png) = try dataset()
        defer { try? FileManager.default.removeItem(at: root) }
        var config = DataFixture.config(root, useMeta: false)

        // Headers alone cannot see the damage (the old check-data said "0 unreadable" here).
        config.imageCheck = .header
        let quick = try Dataset.inspect(config).report
        #expect(quick.errors.isEmpty, "\(quick.errors)")

        config.imageCheck = .decode
        let report = try Dataset.inspect(config).report
        #expect(report.errors.count == 1 && report.imagesUnreadable == 1, "\(report.errors)")
        let e = try #require(report.errors.first)
        #expect(e.description.contains("train.csv row 2 (line 3), column 'image_name'") && e.description.contains(truncated.path),
                "\(e)")
        let w = report.warnings.filter { $0.message.contains("PNG image under a .jpg name") }
        #expect(w.count == 1 && w[0].row == 3 && w[0].column == "image_name", "\(report.warnings)")
        #expect(report.imageDimensions["48x40"] == 6)
    }

    @Test func trainingAgreesWithTheCheck() throws {
        let (root, truncated, png) = try dataset()
        defer { try? FileManager.default.removeItem(at: root) }
        let rows = try Dataset.load(DataFixture.config(root, useMeta: false)).train
        let config = LoaderConfig(batchSize: 1, numWorkers: 0, training: false)
        // The PNG named .jpg trains like any image ...
        let ok = try BatchLoader(samples: rows.filter { $0.filepath == png.path }, transform: .validation(imageSize: 32),
                                 config: config)
        #expect(try ok.iterator(seed: nil).nextBatch()?.images.shape == [1, 3, 32, 32])
        // ... and the truncated JPEG stops the loader with an error naming it.
        let bad = try BatchLoader(samples: rows.filter { $0.filepath == truncated.path }, transform: .validation(imageSize: 32),
                                  config: config)
        #expect { _ = try bad.iterator(seed: nil).nextBatch() } throws: { "\($0)".contains(truncated.path) }
    }
}
